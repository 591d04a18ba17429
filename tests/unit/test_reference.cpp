#include <cmath>
#include <filesystem>
#include <gtest/gtest.h>
#include <stdlib.h>

#include "modules/arith/requant.h"
#include "modules/base/error.h"
#include "modules/common/network.h"
#include "modules/controller/layer_plan.h"
#include "modules/dataflow/gemm_kernel.h"
#include "modules/layers/network_builder.h"
#include "sim/common/rng.h"
#include "sim/config/sim_config.h"
#include "sim/quant/compiler.h"
#include "sim/reference/inference.h"
#include "sim/reference/reference_ops.h"
#include "sim/workload/npy.h"
#include "sim/workload/npy_weights.h"
#include "sim/workload/zoo.h"
#include "tests/support/temp_dir.h"

using namespace conloc;

namespace {

IntTensor random_tensor(TensorShape s, bool is_signed, std::uint64_t seed) {
  IntTensor t;
  t.shape = s;
  t.is_signed = is_signed;
  Rng rng(seed);
  t.data.resize(static_cast<std::size_t>(s.elements()));
  for (auto& v : t.data) {
    v = static_cast<std::int16_t>(is_signed ? static_cast<int>(rng.next() % 255) - 127
                                            : static_cast<int>(rng.next() % 256));
  }
  return t;
}

}  // namespace

// The reference conv (im2col + GEMM) against the textbook seven-loop convolution.
TEST(Reference, ConvMatchesDirectLoops) {
  struct P {
    int h, w, c, oc, kh, kw, stride, pad, groups;
  };
  const P cases[] = {{9, 7, 6, 8, 3, 3, 1, 1, 1}, {10, 11, 8, 12, 3, 3, 2, 1, 4},
                     {8, 8, 5, 5, 3, 3, 1, 1, 5}, {7, 9, 4, 6, 5, 3, 2, 2, 2},
                     {6, 6, 3, 7, 1, 1, 2, 0, 1}, {5, 5, 4, 10, 5, 5, 1, 0, 1}};
  for (const P& p : cases) {
    NetworkBuilder b("t", {p.h, p.w, p.c}, "test");
    b.conv2("l", b.input(), p.oc, p.kh, p.kw, p.stride, p.pad, Activation::None, p.groups);
    const Network net = b.build();
    const Layer& l = net.layers[0];
    const IntTensor in = random_tensor({p.h, p.w, p.c}, true, 5);
    const GemmShape g = net.gemm(l);
    std::vector<std::int16_t> w(static_cast<std::size_t>(g.k * g.n * g.groups));
    Rng rng(9);
    for (auto& v : w)
      v = static_cast<std::int16_t>(static_cast<int>(rng.next() % 41) - 20);
    const auto acc = conv_accumulate(in, l, net, w.data(), 32);
    const TensorShape o = net.out_shape(l);
    const int cin_g = p.c / p.groups, n_g = p.oc / p.groups;
    for (int y = 0; y < o.h; ++y) {
      for (int x = 0; x < o.w; ++x) {
        for (int oc = 0; oc < p.oc; ++oc) {
          const int grp = oc / n_g;
          std::int64_t s = 0;
          for (int r = 0; r < p.kh; ++r) {
            for (int c = 0; c < p.kw; ++c) {
              const int iy = y * p.stride - p.pad + r, ix = x * p.stride - p.pad + c;
              if (iy < 0 || iy >= p.h || ix < 0 || ix >= p.w) continue;
              for (int ci = 0; ci < cin_g; ++ci) {
                const std::int64_t a = in.data[(iy * p.w + ix) * p.c + grp * cin_g + ci];
                s += a * w[static_cast<std::size_t>(oc) * g.k + (r * p.kw + c) * cin_g + ci];
              }
            }
          }
          ASSERT_EQ(acc[(y * o.w + x) * p.oc + oc], s)
              << "case " << p.kh << "x" << p.kw << " g" << p.groups;
        }
      }
    }
  }
}

TEST(Requant, RoundsHalfUpAndKeepsSmallRelativeError) {
  // The multiplier is r x 2^shift rounded to the nearest integer: within half a unit of the last
  // place (a multiplier rounded down would be off by up to a whole unit, and on one side only).
  Rng rng(11);
  int above = 0, below = 0;
  for (int i = 0; i < 2000; ++i) {
    const double r = std::exp(rng.uniform() * 20.0 - 10.0);
    const Requant q = Requant::from_real(r);
    const double exact = r * std::ldexp(1.0, q.shift);
    EXPECT_LE(std::abs(q.mult - exact), 0.5) << r;
    EXPECT_GE(q.mult, 1 << 14);
    EXPECT_LT(q.mult, 1 << 15);
    above += q.mult > exact;
    below += q.mult < exact;
  }
  EXPECT_GT(above, 500);
  EXPECT_GT(below, 500);
  // Exact halfway multipliers: 2^14 + 0.5 and 2^14 + 1.5 units round up (std::round, away from
  // zero); a quarter rounds down, three quarters up.
  EXPECT_EQ(Requant::from_real((16384.5) / 16384.0).mult, 16385);
  EXPECT_EQ(Requant::from_real((16385.5) / 16384.0).mult, 16386);
  EXPECT_EQ(Requant::from_real((16384.25) / 16384.0).mult, 16384);
  EXPECT_EQ(Requant::from_real((16384.75) / 16384.0).mult, 16385);
  // apply() rounds x x r half up (towards +infinity) on exact halfway products, as the reference
  // and the output stage do: 0.5 -> 1, 1.5 -> 2, -0.5 -> 0, -1.5 -> -1, 2.5 -> 3.
  const Requant half = Requant::from_real(0.5);
  ASSERT_EQ(half.mult * 2, 1 << half.shift);  // exactly 0.5
  EXPECT_EQ(half.apply(1), 1);
  EXPECT_EQ(half.apply(3), 2);
  EXPECT_EQ(half.apply(5), 3);
  EXPECT_EQ(half.apply(-1), 0);
  EXPECT_EQ(half.apply(-3), -1);
  EXPECT_EQ(half.apply(4), 2);  // not a halfway case: exact
  // Just below and above a half: 0.25 x 2 - tiny and + tiny.
  const Requant quarter = Requant::from_real(0.25);
  EXPECT_EQ(quarter.apply(1), 0);   // 0.25
  EXPECT_EQ(quarter.apply(3), 1);   // 0.75
  EXPECT_EQ(quarter.apply(2), 1);   // 0.5, half up
  EXPECT_EQ(quarter.apply(-2), 0);  // -0.5, half up
  EXPECT_EQ(clamp_to(300, 0, 255), 255);
  EXPECT_EQ(clamp_to(-5, 0, 255), 0);
}

TEST(Reference, PoolingAndAdd) {
  NetworkBuilder b("t", {4, 4, 2}, "test");
  const int m = b.max_pool("m", b.input(), 3, 2, 1);
  b.avg_pool("a", b.input(), 2, 2, 0);
  b.add("s", m, m, Activation::Relu);
  const Network net = b.build();
  std::vector<IntTensor> t(net.tensors.size());
  t[0] = random_tensor({4, 4, 2}, true, 2);
  const IntTensor& in = t[0];
  for (std::size_t i = 1; i < t.size(); ++i)
    t[i].shape = net.tensors[i];
  CompiledLayer max, avg, add;
  avg.pool_rq = Requant::from_real(0.25);
  avg.out_lo = -127;
  avg.out_hi = 127;
  add.add_rq = Requant2::from_real(0.5, 0.5);
  add.out_lo = 0;
  add.out_hi = 255;
  run_vector_layer(net, 0, max, t);
  run_vector_layer(net, 1, avg, t);
  run_vector_layer(net, 2, add, t);
  const IntTensor& out = t[net.layers[0].output];
  // Output (0,0): window rows -1..1, cols -1..1 -> the max over the 2x2 top-left corner.
  for (int c = 0; c < 2; ++c) {
    const int expect =
        std::max({in.data[0 * 2 + c], in.data[1 * 2 + c], in.data[4 * 2 + c], in.data[5 * 2 + c]});
    EXPECT_EQ(out.data[c], expect);
  }
  const int sum = in.data[0] + in.data[2] + in.data[8] + in.data[10];
  EXPECT_EQ(t[net.layers[1].output].data[0], static_cast<int>(std::floor(sum / 4.0 + 0.5)));
  const IntTensor& s = t[net.layers[2].output];
  for (std::size_t i = 0; i < s.data.size(); ++i)
    EXPECT_EQ(s.data[i], std::max<int>(0, out.data[i]));
}

// Every tile the planner emits fits the half buffer it is assigned to.
TEST(LayerPlan, TilesFitTheirHalves) {
  const SimConfig cfg = load_sim_config(
      std::nullopt, {"buffers.weight_kib=8", "buffers.activation_kib=16", "buffers.output_kib=8"});
  const Network net = zoo_network("resnet18");
  const CompiledNetwork cn = compile_network(net, compile_spec(cfg, false), SyntheticWeights(1));
  WeightStationary ws;
  PlanParams p;
  p.array = {16, 16};
  p.dataflow = &ws;
  p.widths.code_bits = cn.widths.code_bits;
  p.weight_half_bytes = cfg.buffers.weight_bytes / 2;
  p.act_half_bytes = cfg.buffers.activation_bytes / 2;
  p.out_half_bytes = cfg.buffers.output_bytes / 2;
  const NetworkPlan plan = plan_network(cn, p).plan;
  for (const LayerPlan& lp : plan.layers) {
    std::uint64_t macs = 0;
    for (const Job& j : lp.jobs) {
      for (int d : j.deps)
        EXPECT_LT(d, &j - lp.jobs.data());
      if (j.engine == Engine::DmaRead) {
        const auto half =
            j.xfer().buffer == Buffer::Weights ? p.weight_half_bytes : p.act_half_bytes;
        const std::uint64_t end =
            j.xfer().sram_addr + (j.xfer().count - 1) * j.xfer().sram_stride + j.xfer().run_bytes;
        if (!lp.weights_resident || j.xfer().buffer != Buffer::Weights) {
          EXPECT_LE(end - (j.xfer().sram_addr / half) * half, half) << net.layers[lp.layer].name;
        } else {
          EXPECT_LE(end, half);
        }
      }
      if (j.engine == Engine::PeArray) {
        const auto& t = j.conv();
        EXPECT_LE(static_cast<std::uint64_t>(t.gemm.m * t.gemm.n * 4), p.out_half_bytes);
        macs += static_cast<std::uint64_t>(t.gemm.m * t.gemm.k * t.gemm.n);
      }
    }
    EXPECT_EQ(macs, static_cast<std::uint64_t>(net.gemm(net.layers[lp.layer]).macs()))
        << net.layers[lp.layer].name;
  }
}

TEST(Workload, ZooShapesFollowTorchvision) {
  const Network r50 = zoo_network("resnet50");
  EXPECT_EQ(r50.macs(), 4089184256);  // 4.09 GMAC, the figure torchvision-based counters give
  const Network r18 = zoo_network("resnet18");
  EXPECT_EQ(r18.macs(), 1814073344);
  std::int64_t params = 0;
  for (const auto& l : r50.layers)
    params += r50.weight_count(l);
  EXPECT_EQ(params, 25502912);  // 25.56 M parameters minus 53k biases/BN
}

// Conv + fully-connected MACs of every built-in network against the published figure, within 1 %
// (AlexNet, VGG-16, ResNet: torchvision-based counters; MobileNets: their papers' tables).
TEST(Workload, ZooMacTotalsMatchPublishedFigures) {
  const std::pair<const char*, double> published[] = {
      {"resnet50", 4.09e9}, {"resnet18", 1.81e9},      {"vgg16", 15.47e9},
      {"alexnet", 0.714e9}, {"mobilenet_v1", 0.569e9}, {"mobilenet_v2", 0.300e9}};
  for (const auto& [name, macs] : published) {
    const Network n = zoo_network(name);
    EXPECT_NEAR(static_cast<double>(n.macs()) / macs, 1.0, 0.01) << name << ": " << n.macs();
  }
  // LeNet-5 with a fully connected C3: 117 600 + 240 000 + 48 000 + 10 080 + 840.
  EXPECT_EQ(zoo_network("lenet5").macs(), 416520);
  // The MobileNets' depthwise layers are grouped convolutions, one channel per group.
  const Network mb2 = zoo_network("mobilenet_v2");
  int depthwise = 0, adds = 0;
  for (const auto& l : mb2.layers) {
    depthwise += l.type == LayerType::Conv && l.groups == l.out_channels && l.groups > 1;
    adds += l.type == LayerType::Add;
  }
  EXPECT_EQ(depthwise, 17);
  EXPECT_EQ(adds, 10);
}

TEST(Workload, UnknownNameListsKnownOnes) {
  try {
    zoo_network("resnet99");
    FAIL();
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("resnet50"), std::string::npos);
  }
}

namespace {

// A weight source whose second conv layer has a NaN at a known index.
class PoisonedWeights final : public WeightSource {
 public:
  std::string description() const override { return "poisoned"; }
  FloatLayerParams layer_params(const Network& net, std::size_t li) const override {
    FloatLayerParams p = SyntheticWeights(1).layer_params(net, li);
    if (net.layers[li].name == "conv2") p.weights[37] = std::nanf("");
    return p;
  }
  std::vector<float> input(const Network& net, int image = 0) const override {
    return SyntheticWeights(1).input(net, image);
  }
};

}  // namespace

TEST(Compiler, NonFiniteWeightNamesLayerAndIndex) {
  const SimConfig cfg = load_sim_config(std::nullopt, {});
  for (bool functional : {true, false}) {
    try {
      compile_network(zoo_network("tinycnn"), compile_spec(cfg, functional), PoisonedWeights());
      FAIL() << "expected an error";
    } catch (const UserError& e) {
      const std::string m = e.what();
      EXPECT_NE(m.find("layer conv2"), std::string::npos) << m;
      EXPECT_NE(m.find("weights[37]"), std::string::npos) << m;
      EXPECT_NE(m.find("NaN"), std::string::npos) << m;
    }
  }
}

// The same weight buffer holds 8/5 as many 5-bit codes as 8-bit weights, so k-chunks are longer.
TEST(LayerPlan, FiveBitCodesFitSixtyPercentMoreWeightsPerChunk) {
  NetworkBuilder b("t", {8, 8, 256}, "test");
  b.conv("c", b.input(), 16, 3, 1, 1, Activation::None);
  const Network net = b.build();
  int ct[2] = {0, 0};
  int i = 0;
  for (MacKind mac : {MacKind::ElpBsd, MacKind::FixedPoint}) {
    const SimConfig cfg = load_sim_config(
        std::nullopt, {"buffers.weight_kib=8", std::string("design.mac=") + to_string(mac)});
    const CompiledNetwork cn = compile_network(net, compile_spec(cfg, false), SyntheticWeights(1));
    WeightStationary ws;
    PlanParams p;
    p.array = {16, 16};
    p.dataflow = &ws;
    p.widths.code_bits = cn.widths.code_bits;
    p.weight_half_bytes = 4096;
    p.act_half_bytes = 32768;
    p.out_half_bytes = 32768;
    const NetworkPlan plan = plan_network(cn, p).plan;
    ct[i++] = plan.layers[0].mapping.ct;
    // The chunk fills the half: one more channel would not fit.
    EXPECT_LE(16 * 9 * plan.layers[0].mapping.ct * cn.widths.code_bits, 4096 * 8);
    EXPECT_GT(16 * 9 * (plan.layers[0].mapping.ct + 1) * cn.widths.code_bits, 4096 * 8);
  }
  EXPECT_EQ(ct[0], 45);  // 32768 bits / (16 x 9 x 5)
  EXPECT_EQ(ct[1], 28);  // 32768 bits / (16 x 9 x 8)
  EXPECT_GE(static_cast<double>(ct[0]) / ct[1], 1.55);
}

namespace {

std::string temp_dir(const char* tag) {
  return conloc::test::make_temp_dir(tag);
}

}  // namespace

// PyTorch layouts are reordered into the accelerator's K order: (kernel row, column, channel).
TEST(NpyWeights, ConvAndFullyConnectedLayouts) {
  NetworkBuilder b("t", {2, 3, 4}, "test");
  const int c = b.conv("c", b.input(), 6, 3, 1, 1, Activation::Relu, 2);
  b.fc("f", c, 5);
  const Network net = b.build();
  const std::string dir = temp_dir("npyw");
  NpyArray cw{{6, 2, 3, 3}, {}};
  for (int i = 0; i < 6 * 2 * 9; ++i)
    cw.data.push_back(static_cast<float>(i));
  write_npy(dir + "/c.weight.npy", cw);
  NpyArray fw{{5, 6 * 2 * 3}, {}};
  for (int i = 0; i < 5 * 36; ++i)
    fw.data.push_back(static_cast<float>(1000 + i));
  write_npy(dir + "/f.weight.npy", fw);
  write_npy(dir + "/f.bias.npy", NpyArray{{5}, {1, 2, 3, 4, 5}});
  NpyArray img{{1, 2, 3, 4}, std::vector<float>(24, 0.5f)};
  write_npy(dir + "/img.npy", img);
  const NpyWeights src(dir, dir + "/img.npy", 0);
  const FloatLayerParams pc = src.layer_params(net, 0);
  // Output channel o, input channel ci (of the group), kernel (r, s) -> o*18 + (r*3+s)*2 + ci.
  for (int o = 0; o < 6; ++o) {
    for (int ci = 0; ci < 2; ++ci) {
      for (int rs = 0; rs < 9; ++rs) {
        EXPECT_EQ(pc.weights[o * 18 + rs * 2 + ci], static_cast<float>((o * 2 + ci) * 9 + rs));
      }
    }
  }
  EXPECT_EQ(pc.bias, std::vector<float>(6, 0.0f));  // no bias file: zero bias
  const FloatLayerParams pf = src.layer_params(net, 1);
  // PyTorch flattens (c, h, w); the accelerator reads (h, w, c).
  for (int o = 0; o < 5; ++o) {
    for (int ch = 0; ch < 6; ++ch) {
      for (int h = 0; h < 2; ++h) {
        for (int w = 0; w < 3; ++w) {
          EXPECT_EQ(pf.weights[o * 36 + (h * 3 + w) * 6 + ch],
                    static_cast<float>(1000 + o * 36 + (ch * 2 + h) * 3 + w));
        }
      }
    }
  }
  EXPECT_EQ(pf.bias, (std::vector<float>{1, 2, 3, 4, 5}));
  EXPECT_EQ(src.input(net).size(), 24u);
}

TEST(NpyWeights, WrongShapeNamesFileAndExpectedShape) {
  NetworkBuilder b("t", {4, 4, 3}, "test");
  b.conv("c", b.input(), 8, 3, 1, 1, Activation::None);
  const Network net = b.build();
  const std::string dir = temp_dir("npyw2");
  write_npy(dir + "/c.weight.npy", NpyArray{{8, 3, 5, 5}, std::vector<float>(8 * 3 * 25, 0.1f)});
  try {
    NpyWeights(dir, dir + "/none.npy", 0).layer_params(net, 0);
    FAIL();
  } catch (const UserError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("c.weight.npy"), std::string::npos) << m;
    EXPECT_NE(m.find("[8, 3, 3, 3]"), std::string::npos) << m;
    EXPECT_NE(m.find("[8, 3, 5, 5]"), std::string::npos) << m;
  }
  write_npy(dir + "/img.npy", NpyArray{{2, 4, 4, 3}, std::vector<float>(96, 0.0f)});
  EXPECT_THROW(NpyWeights(dir, dir + "/img.npy", 2).input(net), UserError);
  EXPECT_EQ(NpyWeights(dir, dir + "/img.npy", 1).input(net).size(), 48u);
}

// The GEMM kernels against a plain triple loop, and the packed-weight kernel against the plain
// one, on shapes that exercise every edge: k odd and below 16, rows not a multiple of four,
// columns not a multiple of sixteen, accumulation on top of existing values, overflow wrapping.
TEST(Reference, GemmKernelsAgreeBitForBit) {
  struct S {
    std::int64_t m, n, k;
  };
  Rng rng(3);
  for (const S& s : {S{1, 1, 1}, S{5, 3, 9}, S{7, 33, 145}, S{50, 20, 27}, S{49, 64, 576},
                     S{4, 16, 16}, S{9, 17, 64}, S{3, 130, 300}}) {
    const std::int64_t lda = s.k + 3, ldw = s.k + 5, ldc = s.n + 2;
    std::vector<std::int16_t> a(static_cast<std::size_t>(s.m * lda)),
        w(static_cast<std::size_t>(s.n * ldw));
    for (auto& v : a)
      v = static_cast<std::int16_t>(static_cast<int>(rng.next() % 65536) - 32768);
    for (auto& v : w)
      v = static_cast<std::int16_t>(static_cast<int>(rng.next() % 65536) - 32768);
    for (bool accumulate : {false, true}) {
      std::vector<std::int32_t> init(static_cast<std::size_t>(s.m * ldc));
      for (auto& v : init)
        v = static_cast<std::int32_t>(rng.next());
      std::vector<std::int32_t> want = init, plain = init, packed = init;
      for (std::int64_t i = 0; i < s.m; ++i) {
        for (std::int64_t j = 0; j < s.n; ++j) {
          std::uint32_t sum = accumulate ? static_cast<std::uint32_t>(init[i * ldc + j]) : 0u;
          for (std::int64_t t = 0; t < s.k; ++t)
            sum += static_cast<std::uint32_t>(std::int32_t{a[i * lda + t]} * w[j * ldw + t]);
          want[i * ldc + j] = static_cast<std::int32_t>(sum);
        }
      }
      gemm_i16(a.data(), lda, w.data(), ldw, plain.data(), ldc, s.m, s.n, s.k, accumulate);
      const PackedWeights pw(w.data(), ldw, s.n, s.k);
      gemm_i16_packed(a.data(), lda, pw, packed.data(), ldc, s.m, accumulate);
      EXPECT_EQ(plain, want) << s.m << "x" << s.n << "x" << s.k;
      EXPECT_EQ(packed, want) << s.m << "x" << s.n << "x" << s.k;
      // Rows as two runs each (a patch row read from the input), where k splits evenly in pairs.
      if (s.k % 4 == 0) {
        std::vector<const std::int16_t*> seg;
        for (std::int64_t i = 0; i < s.m; ++i) {
          seg.push_back(a.data() + i * lda);
          seg.push_back(a.data() + i * lda + s.k / 2);
        }
        std::vector<std::int32_t> segmented = init;
        if (gemm_i16_packed_segments(seg.data(), 2, s.k / 2, pw, segmented.data(), ldc, s.m,
                                     accumulate)) {
          EXPECT_EQ(segmented, want) << s.m << "x" << s.n << "x" << s.k << " in runs";
        }
      }
    }
  }
}

// The integer reference against an independent convolution written here from the definition (a
// direct loop over output pixels, channels and taps, zero padding, groups), in double on the
// integer operands: the reference's outputs must be the exact sums requantised, i.e. within half
// an output level plus the multiplier's rounding (|y| x 2^-15, mult being r x 2^shift to the
// nearest integer in [2^14, 2^15)) of the exact value, wherever the exact value is inside the
// output range. Strided and padded, depthwise, pointwise and fully-connected layers.
TEST(Reference, IntegerConvolutionMatchesAnIndependentOne) {
  NetworkBuilder b("ind", {13, 11, 6}, "test");
  int x = b.conv("c1", b.input(), 12, 3, 2, 1, Activation::None);
  x = b.conv("dw", x, 12, 3, 1, 1, Activation::None, 12);
  x = b.conv2("c2", x, 8, 3, 1, 1, 0, Activation::None, 2);
  x = b.conv("pw", x, 10, 1, 1, 0, Activation::None);
  b.fc("fc", b.global_avg_pool("gap", x), 7);
  const Network net = b.build();
  const SimConfig cfg = load_sim_config(std::nullopt, {"design.compensation=none"});
  const CompiledNetwork cn = compile_network(net, compile_spec(cfg, true), SyntheticWeights(5));
  int checked = 0;
  for (std::size_t li = 0; li < net.layers.size(); ++li) {
    const Layer& l = net.layers[li];
    if (!l.on_pe_array()) continue;
    const CompiledLayer& cl = cn.layers[li];
    const IntTensor& in = cn.tensors[l.inputs[0]];
    const IntTensor& out = cn.tensors[l.output];
    const TensorShape is = in.shape, os = out.shape;
    const int cin_g = is.c / l.groups, cout_g = os.c / l.groups;
    const int kh = l.type == LayerType::Conv ? l.kh : is.h;
    const int kw = l.type == LayerType::Conv ? l.kw : is.w;
    for (int oy = 0; oy < os.h; ++oy) {
      for (int ox = 0; ox < os.w; ++ox) {
        for (int oc = 0; oc < os.c; ++oc) {
          const int g = oc / cout_g;
          double acc = cl.bias[static_cast<std::size_t>(oc)];
          for (int ky = 0; ky < kh; ++ky) {
            for (int kx = 0; kx < kw; ++kx) {
              const int iy = oy * l.stride_h - l.pad_t + ky, ix = ox * l.stride_w - l.pad_l + kx;
              if (iy < 0 || iy >= is.h || ix < 0 || ix >= is.w) continue;  // zero padding
              for (int ci = 0; ci < cin_g; ++ci) {
                const int k = (ky * kw + kx) * cin_g + ci;
                const double a = in.data[(static_cast<std::size_t>(iy) * is.w + ix) * is.c +
                                         static_cast<std::size_t>(g * cin_g + ci)];
                acc += a * cl.wq[static_cast<std::size_t>(oc) * (kh * kw * cin_g) + k];
              }
            }
          }
          const double r = in.scale * cl.w_scale[static_cast<std::size_t>(oc)] / out.scale;
          const double exact = acc * r;
          const double got = out.data[(static_cast<std::size_t>(oy) * os.w + ox) * os.c + oc];
          if (exact <= cl.out_lo - 0.5 || exact >= cl.out_hi + 0.5) {
            EXPECT_EQ(got, exact < 0 ? cl.out_lo : cl.out_hi) << l.name;  // clamped
            continue;
          }
          EXPECT_LE(std::abs(got - exact), 0.5 + std::abs(exact) * std::ldexp(1.0, -15) + 1e-9)
              << l.name << " (" << oy << ", " << ox << ", " << oc << "): exact " << exact;
          ++checked;
        }
      }
    }
  }
  EXPECT_GT(checked, 1000);
}
