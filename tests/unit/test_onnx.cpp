// ONNX import: real third-party models and the project's own export, checked against an
// independent NumPy evaluation of the same file (scripts/onnx_reference.py); small models built
// here exercise each mapping (layouts, padding, folding, patterns) and each bad-input error.
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>
#include <random>
#include <regex>
#include <set>
#include <sstream>

#include "modules/base/error.h"
#include "modules/layers/layer_kind.h"
#include "sim/reference/float_inference.h"
#include "sim/workload/dataset.h"
#include "sim/workload/npy.h"
#include "sim/workload/onnx_import.h"
#include "sim/workload/onnx_importer.h"
#include "sim/workload/workload.h"
#include "tests/support/onnx_checks.h"
#include "tests/support/onnx_model_builder.h"
#include "tests/support/temp_dir.h"

using namespace conloc;
using conloc::test_support::expect_matches_numpy;
using conloc::test_support::expect_runs_bit_exact;
using conloc::test_support::float32_tolerance;
using conloc::test_support::ModelBuilder;

namespace {

const std::string kSrc = CONLOCNN_SOURCE_DIR;
const std::string kCls = kSrc + "/third_party/models/ch_ppocr_mobile_v2.0_cls_infer.onnx";
const std::string kDet = kSrc + "/third_party/models/ch_PP-OCRv4_det_infer.onnx";

// The error message of importing `path`, or "" when it imports.
std::string import_error(const std::string& path, std::vector<std::int64_t> shape = {}) {
  try {
    import_onnx(path, shape, 1);
  } catch (const UserError& e) {
    return e.what();
  }
  return "";
}

int count(const Network& n, LayerType t) {
  int k = 0;
  for (const auto& l : n.layers)
    k += l.type == t;
  return k;
}

}  // namespace

TEST(Onnx, PaddleOcrClassifierMatchesNumpyReference) {
  // PaddleOCR's text-direction classifier (MobileNetV3-small based), from the npm registry.
  ASSERT_TRUE(std::ifstream(kCls).good()) << kCls << " missing: run scripts/install-deps.sh";
  const OnnxImport m = import_onnx(kCls, {1, 3, 48, 192}, 1);
  // 53 Conv nodes; every BatchNormalization folded; the MatMul + Add is one fc layer.
  EXPECT_EQ(count(m.net, LayerType::Conv), 53);
  EXPECT_EQ(count(m.net, LayerType::FullyConnected), 1);
  EXPECT_EQ(count(m.net, LayerType::Act), 9 + 18);  // 9 HardSigmoid gates, 18 HardSwish patterns
  EXPECT_EQ(count(m.net, LayerType::Mul), 9);       // the squeeze-and-excitation gates
  EXPECT_EQ(m.net.tensors.back().c, 2);
  ASSERT_EQ(m.notes.size(), 2u);  // the final Softmax not run; 27 lookup tables costed roughly
  EXPECT_NE(m.notes[0].find("Softmax"), std::string::npos);
  EXPECT_NE(m.notes[1].find("27 activation functions run as lookup tables"), std::string::npos);
  const std::string dir = test::make_temp_dir("onnx");
  expect_matches_numpy(kCls, {1, 3, 48, 192}, false, true, dir);
}

TEST(Onnx, PaddleOcrDetectorMatchesNumpyReference) {
  // PaddleOCR's PP-OCRv4 text detector: learnable affine blocks after HardSwish (folded into the
  // lookup tables), 2x transposed convolutions, nearest upsampling by 2, 4 and 8, a channel
  // concat and a sigmoid probability map.
  ASSERT_TRUE(std::ifstream(kDet).good()) << kDet << " missing: run scripts/install-deps.sh";
  const OnnxImport m = import_onnx(kDet, {1, 3, 96, 128}, 1);
  EXPECT_EQ(count(m.net, LayerType::DepthToSpace), 2);
  EXPECT_EQ(count(m.net, LayerType::Upsample), 6);
  EXPECT_EQ(count(m.net, LayerType::Concat), 1);
  const TensorShape out = m.net.tensors[m.net.layers.back().output];
  EXPECT_EQ(out.h, 96);  // a full-resolution probability map
  EXPECT_EQ(out.w, 128);
  EXPECT_EQ(out.c, 1);
  ASSERT_EQ(m.notes.size(), 1u);
  EXPECT_NE(m.notes[0].find("35 activation functions"), std::string::npos) << m.notes[0];
  const std::string dir = test::make_temp_dir("onnx");
  expect_matches_numpy(kDet, {1, 3, 96, 128}, false, false, dir);
}

TEST(Onnx, OwnExportEqualsTheNpyWorkload) {
  // The fmnist ResNet as exported by scripts/train_fmnist_resnet.py and as .npy files: the same
  // float network, output for output, on real test images.
  const Workload npy = load_workload(kSrc + "/workloads/fmnist_resnet/network.json", 1);
  const OnnxImport onnx = import_onnx(kSrc + "/workloads/fmnist_resnet/model.onnx", {}, 1);
  EXPECT_EQ(onnx.net.macs(), npy.net.macs());
  EXPECT_EQ(count(onnx.net, LayerType::Conv), count(npy.net, LayerType::Conv));
  const FloatNetwork a(npy.net, *npy.weights), b(onnx.net, *onnx.weights);
  const Dataset ds = load_dataset(npy.dataset.name, "");
  // Both float32 (the .npy weights are the ONNX file's after training's own folding), so at most
  // what float32 arithmetic warrants, relative to the largest logit of each image.
  double worst = 0;
  for (std::int64_t i = 0; i < 20; ++i) {
    const auto x = normalised_image(ds.test, i, npy.dataset);
    const auto ya = a.forward(x), yb = b.forward(x);
    ASSERT_EQ(ya.size(), yb.size());
    double diff = 0, top = 0;
    for (std::size_t k = 0; k < ya.size(); ++k) {
      diff = std::max(diff, std::abs(double{ya[k]} - yb[k]));
      top = std::max(top, std::abs(double{ya[k]}));
    }
    worst = std::max(worst, diff / top);
  }
  std::printf("npy vs onnx: max |difference| / max |output| = %.3g (tolerance %.3g)\n", worst,
              float32_tolerance(npy.net));
  EXPECT_LE(worst, float32_tolerance(npy.net));
}

TEST(Onnx, MappingsMatchNumpyReference) {
  // NCHW: SAME_UPPER stride-2 conv + BN + ReLU6 (Clip 0..6), asymmetric pads, depthwise conv,
  // HardSwish both as an op and as x * Clip(x + 3, 0, 6) / 6, a squeeze-and-excitation gate,
  // LeakyRelu, Sigmoid, pooling with ceil mode, Flatten + Gemm (transB) with bias.
  ModelBuilder mb({1, 3, 17, 15});
  auto* c1 = mb.node("Conv", {"x", mb.init("w1", {8, 3, 3, 3})}, "c1");
  ModelBuilder::string_attr(c1, "auto_pad", "SAME_UPPER");
  ModelBuilder::ints_attr(c1, "strides", {2, 2});
  mb.node("BatchNormalization",
          {"c1", mb.init("g", {8}, 0.5f, 1.5f), mb.init("be", {8}), mb.init("mu", {8}),
           mb.init("var", {8}, 0.2f, 1.0f)},
          "bn1");
  mb.node("Clip", {"bn1", mb.scalar("zero", 0.0f), mb.scalar("six", 6.0f)}, "r1");
  auto* dw = mb.node("Conv", {"r1", mb.init("wd", {8, 1, 3, 3}), mb.init("bd", {8})}, "dw");
  ModelBuilder::int_attr(dw, "group", 8);
  ModelBuilder::ints_attr(dw, "pads", {0, 1, 2, 1});
  ModelBuilder::ints_attr(dw, "strides", {2, 1});
  mb.node("Add", {"dw", mb.scalar("three", 3.0f)}, "hs_add");
  mb.node("Clip", {"hs_add", "zero", "six"}, "hs_clip");
  mb.node("Mul", {"dw", "hs_clip"}, "hs_mul");
  mb.node("Div", {"hs_mul", "six"}, "hs");
  mb.node("GlobalAveragePool", {"hs"}, "se_pool");
  mb.node("Conv", {"se_pool", mb.init("ws1", {4, 8, 1, 1}), mb.init("bs1", {4})}, "se1");
  mb.node("Relu", {"se1"}, "se1r");
  mb.node("Conv", {"se1r", mb.init("ws2", {8, 4, 1, 1}), mb.init("bs2", {8})}, "se2");
  mb.node("HardSigmoid", {"se2"}, "gate");
  mb.node("Mul", {"gate", "hs"}, "se");  // gate first: the importer puts the big operand first
  mb.node("HardSwish", {"se"}, "hs2");
  auto* lr = mb.node("LeakyRelu", {"hs2"}, "lrelu");
  ModelBuilder::float_attr(lr, "alpha", 0.1f);
  mb.node("Sigmoid", {"lrelu"}, "sig");
  mb.node("Mul", {"lrelu", "sig"}, "swish");
  mb.node("Max", {"swish", "hs2"}, "mx");
  auto* mp = mb.node("MaxPool", {"mx"}, "mp");
  ModelBuilder::ints_attr(mp, "kernel_shape", {2, 2});
  ModelBuilder::ints_attr(mp, "strides", {2, 2});
  ModelBuilder::int_attr(mp, "ceil_mode", 1);
  auto* ap = mb.node("AveragePool", {"mp"}, "ap");
  ModelBuilder::ints_attr(ap, "kernel_shape", {2, 1});
  ModelBuilder::int_attr(ap, "count_include_pad", 1);
  mb.node("Flatten", {"ap"}, "flat");
  auto* fc = mb.node("Gemm", {"flat", mb.init("wf", {5, 8 * 2 * 4}), mb.init("bf", {5})}, "fc");
  ModelBuilder::int_attr(fc, "transB", 1);
  mb.output("fc");
  const std::string dir = test::make_temp_dir("onnx");
  const std::string path = mb.save(dir, "m.onnx");
  const OnnxImport m = import_onnx(path, {}, 1);
  EXPECT_EQ(count(m.net, LayerType::Act), 5);   // hardswish x2, hardsigmoid, leakyrelu, sigmoid
  EXPECT_EQ(count(m.net, LayerType::Relu), 0);  // both clamps fused into their convs
  const Layer& c = m.net.layers[0];
  EXPECT_EQ(c.act, Activation::Relu6);
  EXPECT_EQ(c.pad_t + c.pad_b, 2);  // SAME_UPPER on 17 rows, stride 2, kernel 3
  expect_matches_numpy(path, {}, false, false, dir);
}

TEST(Onnx, GeluMatchesNumpyAndRunsBitExact) {
  // torch's export of the exact GELU, x * (1 + Erf(x / sqrt 2)) * 0.5, between two convs (as in
  // ConvNeXt's blocks), and in its other spellings (x * 1/sqrt 2; the half as / 2), each one
  // `act` layer; an Erf outside the pattern is refused naming the node.
  for (const bool alt : {false, true}) {
    ModelBuilder mb({1, 3, 9, 8});
    auto* c = mb.node("Conv", {"x", mb.init("w1", {6, 3, 3, 3}), mb.init("b1", {6})}, "c");
    ModelBuilder::ints_attr(c, "pads", {1, 1, 1, 1});
    if (alt) {
      mb.node("Mul", {"c", mb.scalar("isq", 0.70710678f)}, "d");
    } else {
      mb.node("Div", {"c", mb.scalar("sq", 1.41421356f)}, "d");
    }
    mb.node("Erf", {"d"}, "e");
    mb.node("Add", {"e", mb.scalar("one", 1.0f)}, "e1");
    mb.node("Mul", {alt ? "e1" : "c", alt ? "c" : "e1"}, "m");
    if (alt) {
      mb.node("Div", {"m", mb.scalar("two", 2.0f)}, "g");
    } else {
      mb.node("Mul", {"m", mb.scalar("half", 0.5f)}, "g");
    }
    mb.node("Conv", {"g", mb.init("w2", {4, 6, 1, 1}), mb.init("b2", {4})}, "y");
    mb.output("y");
    const std::string dir = test::make_temp_dir("onnx-gelu");
    const std::string path = mb.save(dir, "gelu.onnx");
    const OnnxImport m = import_onnx(path, {}, 1);
    ASSERT_EQ(count(m.net, LayerType::Act), 1);
    for (const Layer& l : m.net.layers) {
      if (l.type == LayerType::Act) {
        EXPECT_EQ(l.act, Activation::Gelu);
      }
    }
    expect_matches_numpy(path, {}, false, false, dir);
    expect_runs_bit_exact(path, {"array.dataflow=" + std::string(alt ? "os" : "ws")}, dir, "gelu");
  }
  ModelBuilder mb({1, 3, 9, 8});
  mb.node("Conv", {"x", mb.init("w1", {6, 3, 3, 3})}, "c");
  mb.node("Erf", {"c"}, "e");
  mb.output("e");
  const std::string dir = test::make_temp_dir("onnx-erf");
  const std::string path = mb.save(dir, "erf.onnx");
  try {
    import_onnx(path, {}, 1);
    ADD_FAILURE() << "a bare Erf imported";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("node \"e\" (Erf): Erf outside GELU is not supported"),
              std::string::npos)
        << e.what();
  }
}

TEST(Onnx, LayerNormConvNeXtBlockMatchesNumpyAndRunsBitExact) {
  // A ConvNeXt block as torch exports it: conv, permute to NHWC, LayerNorm over the channels
  // (as ops at opset 13, as one LayerNormalization at opset 17), Linear (MatMul + bias on the
  // NHWC view) -> GELU -> Linear, permute back, the layer scale, the residual add; then a
  // downsampling LayerNorm2d (permute, LayerNorm, permute) before a 2x2 stride-2 conv. The
  // LayerNorm is a `layernorm` layer and its learned scale and shift a 1x1 depthwise conv; each
  // MatMul a 1x1 conv that takes its bias (and the second the layer scale, through the permute).
  for (const int opset : {13, 17}) {
    ModelBuilder mb({1, 3, 10, 8}, opset);
    auto* c = mb.node("Conv", {"x", mb.init("w0", {8, 3, 3, 3}), mb.init("b0", {8})}, "c");
    ModelBuilder::ints_attr(c, "pads", {1, 1, 1, 1});
    auto layer_norm = [&](const std::string& in, const std::string& out, const std::string& tag) {
      const std::string g = mb.init("g" + tag, {8}, 0.5f, 1.5f), b = mb.init("be" + tag, {8});
      if (opset == 17) {
        auto* n = mb.node("LayerNormalization", {in, g, b}, out);
        ModelBuilder::float_attr(n, "epsilon", 1e-6f);
        return;
      }
      auto* m = mb.node("ReduceMean", {in}, "mu" + tag);
      ModelBuilder::ints_attr(m, "axes", {-1});
      mb.node("Sub", {in, "mu" + tag}, "d" + tag);
      mb.node("Pow", {"d" + tag, mb.scalar("two" + tag, 2.0f)}, "p" + tag);
      auto* v = mb.node("ReduceMean", {"p" + tag}, "v" + tag);
      ModelBuilder::ints_attr(v, "axes", {-1});
      mb.node("Add", {"v" + tag, mb.scalar("eps" + tag, 1e-6f)}, "ve" + tag);
      mb.node("Sqrt", {"ve" + tag}, "s" + tag);
      mb.node("Div", {"d" + tag, "s" + tag}, "n" + tag);
      mb.node("Mul", {"n" + tag, g}, "ng" + tag);
      mb.node("Add", {"ng" + tag, b}, out);
    };
    ModelBuilder::ints_attr(mb.node("Transpose", {"c"}, "t"), "perm", {0, 2, 3, 1});
    layer_norm("t", "ln", "1");
    mb.node("MatMul", {"ln", mb.init("m1", {8, 16})}, "h");
    mb.node("Add", {mb.init("mb1", {16}), "h"}, "hb");
    mb.node("Div", {"hb", mb.scalar("sq", 1.41421356f)}, "gd");
    mb.node("Erf", {"gd"}, "ge");
    mb.node("Add", {"ge", mb.scalar("one", 1.0f)}, "ge1");
    mb.node("Mul", {"hb", "ge1"}, "gm");
    mb.node("Mul", {"gm", mb.scalar("half", 0.5f)}, "gelu");
    mb.node("MatMul", {"gelu", mb.init("m2", {16, 8})}, "o");
    mb.node("Add", {mb.init("mb2", {8}), "o"}, "ob");
    ModelBuilder::ints_attr(mb.node("Transpose", {"ob"}, "tb"), "perm", {0, 3, 1, 2});
    mb.node("Mul", {mb.init("scale", {8, 1, 1}, 0.1f, 0.3f), "tb"}, "ls");
    mb.node("Add", {"ls", "c"}, "blk");
    ModelBuilder::ints_attr(mb.node("Transpose", {"blk"}, "t2"), "perm", {0, 2, 3, 1});
    layer_norm("t2", "ln2", "2");
    ModelBuilder::ints_attr(mb.node("Transpose", {"ln2"}, "t3"), "perm", {0, 3, 1, 2});
    auto* down = mb.node("Conv", {"t3", mb.init("wd", {12, 8, 2, 2}), mb.init("bd", {12})}, "y");
    ModelBuilder::ints_attr(down, "strides", {2, 2});
    mb.output("y");
    const std::string dir = test::make_temp_dir("onnx-layernorm");
    const std::string path = mb.save(dir, "convnext_block.onnx");
    const OnnxImport m = import_onnx(path, {}, 1);
    const LayerType ln = find_layer_kind("layernorm")->type;
    EXPECT_EQ(count(m.net, ln), 2) << "opset " << opset;
    EXPECT_EQ(count(m.net, LayerType::Conv), 6) << "stem, 2 x affine, 2 x Linear, downsample";
    EXPECT_EQ(count(m.net, LayerType::Add), 1);
    EXPECT_EQ(m.net.layers.size(), 10u);
    for (std::size_t i = 0; i + 1 < m.net.layers.size(); ++i) {
      if (m.net.layers[i].type != ln) continue;
      const Layer& affine = m.net.layers[i + 1];  // the scale and shift, per channel
      EXPECT_EQ(affine.groups, 8);
      EXPECT_EQ(affine.kh * affine.kw, 1);
    }
    expect_matches_numpy(path, {}, false, false, dir);
    for (const char* df : {"ws", "os"})
      expect_runs_bit_exact(path, {"array.dataflow=" + std::string(df)}, dir, "layernorm");
  }
}

TEST(OnnxBadInput, LayerNormPiecesOutsideThePatternAreRefused) {
  // A Pow that is no LayerNorm's, and a LayerNormalization over C, H and W of an NCHW tensor
  // (not a per-pixel normalisation), each named.
  {
    ModelBuilder mb({1, 3, 6, 6});
    mb.node("Conv", {"x", mb.init("w", {4, 3, 1, 1})}, "c");
    mb.node("Pow", {"c", mb.scalar("two", 2.0f)}, "p");
    mb.output("p");
    const std::string dir = test::make_temp_dir("onnx-pow");
    const std::string e = import_error(mb.save(dir, "pow.onnx"));
    EXPECT_NE(e.find("node \"p\" (Pow): Pow outside LayerNorm is not supported"), std::string::npos)
        << e;
  }
  ModelBuilder mb({1, 3, 6, 6}, 17);
  mb.node("Conv", {"x", mb.init("w", {4, 3, 1, 1})}, "c");
  auto* n = mb.node("LayerNormalization", {"c", mb.init("g", {4, 6, 6})}, "y");
  ModelBuilder::int_attr(n, "axis", 1);
  mb.output("y");
  const std::string dir = test::make_temp_dir("onnx-lnaxis");
  const std::string e = import_error(mb.save(dir, "lnaxis.onnx"));
  EXPECT_NE(e.find("node \"y\" (LayerNormalization): normalises other axes than the channels"),
            std::string::npos)
      << e;
}

TEST(Onnx, NhwcGraphWithTransposeMatchesNumpyReference) {
  // TensorFlow-style: an NHWC input transposed to NCHW, a reshape flatten, MatMul + Add bias.
  ModelBuilder mb({1, 9, 7, 3});
  auto* t = mb.node("Transpose", {"x"}, "t");
  ModelBuilder::ints_attr(t, "perm", {0, 3, 1, 2});
  auto* c = mb.node("Conv", {"t", mb.init("w", {6, 3, 3, 3}), mb.init("b", {6})}, "c");
  ModelBuilder::ints_attr(c, "pads", {1, 1, 1, 1});
  mb.node("Relu", {"c"}, "r");
  mb.node("ReduceMean", {"r"}, "m");
  ModelBuilder::ints_attr(mb.g->mutable_node(mb.g->node_size() - 1), "axes", {2, 3});
  mb.node("Reshape", {"m", mb.ints("shape", {1, -1})}, "flat");
  mb.node("MatMul", {"flat", mb.init("wm", {6, 4})}, "mm");
  mb.node("Add", {"mm", mb.init("bm", {4})}, "y");
  mb.output("y");
  const std::string dir = test::make_temp_dir("onnx");
  const std::string path = mb.save(dir, "nhwc.onnx");
  const OnnxImport m = import_onnx(path, {}, 1);
  EXPECT_EQ(m.net.tensors[0].h, 9);
  EXPECT_EQ(m.net.tensors[0].c, 3);
  EXPECT_EQ(count(m.net, LayerType::FullyConnected), 1);
  expect_matches_numpy(path, {}, true, false, dir);
}

TEST(Onnx, RunsEndToEndBitExact) {
  // The classifier through the whole simulator: compile, SystemC run, bit-exact check.
  const std::string dir = test::make_temp_dir("onnx");
  const std::string cmd = std::string(CONLOCNN_SIM_BIN) + " run --workload '" + kCls +
                          "' --input-shape 1,3,48,192 --out '" + dir + "/r' > '" + dir +
                          "/log' 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  std::ifstream log(dir + "/log");
  const std::string text((std::istreambuf_iterator<char>(log)), {});
  EXPECT_NE(text.find("bit-exact against the integer reference"), std::string::npos) << text;
  EXPECT_NE(text.find("approx    p2o.Softmax.0 (Softmax): not run"), std::string::npos) << text;
}

TEST(OnnxBadInput, EveryUnsupportedOpListedBeforeAnythingRuns) {
  ModelBuilder mb({1, 3, 8, 8});
  mb.node("Relu", {"x"}, "a");
  mb.node("LSTM", {"a"}, "b");
  mb.node("Einsum", {"b"}, "c");
  mb.node("LSTM", {"c"}, "d");
  mb.output("d");
  const std::string dir = test::make_temp_dir("onnx");
  const std::string e = import_error(mb.save(dir, "m.onnx"));
  EXPECT_NE(e.find("unsupported ops"), std::string::npos) << e;
  EXPECT_NE(e.find("Einsum (c)"), std::string::npos) << e;
  EXPECT_NE(e.find("LSTM (b, d)"), std::string::npos) << e;
}

// A model with several kinds of blocker (an op the tool lacks, ops it has but cannot map here)
// gets one error naming every one, not only the first; what depends on a blocked node is not
// reported again.
// ONNX broadcasts a constant from the right: after a conv, [C, 1, 1] is per channel and folds
// into the conv's bias, while [C] runs along W (here W = C = 4, so the model is valid) and must
// not be folded as if it were per channel: it is refused naming the node.
TEST(OnnxBadInput, AConstantAlongWidthIsNotFoldedAsPerChannel) {
  for (const bool along_w : {false, true}) {
    ModelBuilder mb({1, 3, 6, 4});
    auto* c = mb.node("Conv", {"x", mb.init("w", {4, 3, 3, 3})}, "c");
    ModelBuilder::ints_attr(c, "pads", {1, 1, 1, 1});
    mb.node("Add",
            {"c", mb.init("k", along_w ? std::vector<std::int64_t>{4}
                                       : std::vector<std::int64_t>{4, 1, 1})},
            "y");
    mb.output("y");
    const std::string dir = test::make_temp_dir("onnx-bcast");
    const std::string path = mb.save(dir, "m.onnx");
    if (!along_w) {
      EXPECT_EQ(import_onnx(path, {}, 1).net.layers.size(), 1u);  // folded into the conv
      expect_matches_numpy(path, {}, false, false, dir);
      continue;
    }
    try {
      import_onnx(path, {}, 1);
      ADD_FAILURE() << "a constant along W was folded as per channel";
    } catch (const UserError& e) {
      EXPECT_NE(std::string(e.what()).find("node \"y\" (Add): Add with a constant that cannot be "
                                           "folded"),
                std::string::npos)
          << e.what();
    }
  }
}

// A MatMul or Gemm with fewer inputs than it needs is refused naming the node (the fuzzer found
// the MatMul reading its second input before checking there was one).
TEST(OnnxBadInput, AMatMulWithOneInputIsNamed) {
  for (const char* op : {"MatMul", "Gemm"}) {
    ModelBuilder mb({1, 8});
    mb.node(op, {"x"}, "y");
    mb.output("y");
    const std::string dir = test::make_temp_dir("onnx-matmul");
    const std::string e = import_error(mb.save(dir, "m.onnx"));
    EXPECT_NE(e.find(std::string("node \"y\" (") + op + "): missing input 1"), std::string::npos)
        << e;
  }
}

TEST(OnnxBadInput, EveryBlockerNamedInOneError) {
  ModelBuilder mb({1, 3, 8, 8});
  mb.node("Relu", {"x"}, "r");
  mb.node("Tan", {"r"}, "tan");
  mb.node("Relu", {"tan"}, "after_tan");  // blocked by tan, not an error of its own
  mb.node("Clip", {"r", mb.scalar("lo", -1.0f), mb.scalar("hi", 1.0f)}, "clip");
  mb.node("MatMul", {"r", "r"}, "attn");
  mb.node("Softmax", {"r"}, "sm");
  mb.node("Relu", {"sm"}, "after_sm");
  mb.node("Add", {"after_tan", "clip"}, "sum");
  mb.output("sum");
  const std::string dir = test::make_temp_dir("onnx");
  const std::string e = import_error(mb.save(dir, "m.onnx"));
  for (const char* want :
       {"every blocker", "unsupported ops: Tan (tan)",
        "node \"clip\" (Clip): Clip range not supported",
        "node \"attn\" (MatMul): MatMul of two computed tensors", "node \"sm\" (Softmax)"})
    EXPECT_NE(e.find(want), std::string::npos) << want << " missing from:\n" << e;
  for (const char* not_reported : {"after_tan", "node \"sum\""})
    EXPECT_EQ(e.find(not_reported), std::string::npos) << not_reported << " reported in:\n" << e;
}

// An input size the detector's strides do not divide meets two operands of different sizes; the
// error says so and names the nearest size that imports.
TEST(OnnxBadInput, InputSizeTheStridesDoNotDivideNamesOneThatWorks) {
  ASSERT_TRUE(std::ifstream(kDet).good()) << kDet << " missing: run scripts/install-deps.sh";
  const std::string e = import_error(kDet, {1, 3, 100, 90});
  EXPECT_NE(e.find("operand shapes differ"), std::string::npos) << e;
  EXPECT_NE(e.find("the input size is the problem: 128 x 96 (multiples of 32) imports: "
                   "--input-shape 1,3,128,96"),
            std::string::npos)
      << e;
  EXPECT_EQ(import_error(kDet, {1, 3, 128, 96}), "");
}

TEST(OnnxBadInput, NotOnnxTruncatedOrEmptyFile) {
  const std::string dir = test::make_temp_dir("onnx");
  const std::string text = dir + "/text.onnx";
  std::ofstream(text) << "{\"name\": \"not a model\"}\n";
  EXPECT_NE(import_error(text).find("not an ONNX model"), std::string::npos) << import_error(text);
  std::ifstream f(kCls, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(f)), {});
  ASSERT_GT(bytes.size(), 1000u);
  const std::string cut = dir + "/cut.onnx";
  std::ofstream(cut, std::ios::binary) << bytes.substr(0, bytes.size() / 2);
  const std::string e = import_error(cut, {1, 3, 48, 192});
  EXPECT_NE(e.find(cut), std::string::npos) << e;
  EXPECT_FALSE(e.empty());
  const std::string empty = dir + "/empty.onnx";
  std::ofstream(empty).close();
  EXPECT_NE(import_error(empty).find("not an ONNX model"), std::string::npos);
}

TEST(OnnxBadInput, CycleMissingInitializerAndDynamicDimensionNamed) {
  const std::string dir = test::make_temp_dir("onnx");
  {
    ModelBuilder mb({1, 3, 8, 8});
    mb.node("Add", {"x", "b"}, "a");
    mb.node("Relu", {"a"}, "b");
    mb.output("b");
    const std::string e = import_error(mb.save(dir, "cycle.onnx"));
    EXPECT_NE(e.find("cycle"), std::string::npos) << e;
    EXPECT_NE(e.find("node \"a\""), std::string::npos) << e;
  }
  {
    ModelBuilder mb({1, 3, 8, 8});
    mb.node("Conv", {"x", "missing_w"}, "c");
    mb.output("c");
    const std::string e = import_error(mb.save(dir, "missing.onnx"));
    EXPECT_NE(e.find("node \"c\" (Conv)"), std::string::npos) << e;
    EXPECT_NE(e.find("\"missing_w\" not found"), std::string::npos) << e;
  }
  {
    ModelBuilder mb({-1, 3, -1, 8});
    mb.node("Relu", {"x"}, "r");
    mb.output("r");
    const std::string path = mb.save(dir, "dyn.onnx");
    const std::string e = import_error(path);
    EXPECT_NE(e.find("dimension 2"), std::string::npos) << e;
    EXPECT_NE(e.find("--input-shape"), std::string::npos) << e;
    EXPECT_EQ(import_error(path, {1, 3, 5, 8}), "");
    EXPECT_NE(import_error(path, {1, 4, 5, 8}).find("differs from the model's fixed dimension"),
              std::string::npos);
  }
}

TEST(OnnxBadInput, AbsurdSizesRejectedUpFrontWithTheSize) {
  const std::string dir = test::make_temp_dir("onnx");
  {
    ModelBuilder mb({1, 3, 65536, 65536});
    mb.node("Relu", {"x"}, "r");
    mb.output("r");
    const std::string e = import_error(mb.save(dir, "big.onnx"));
    EXPECT_NE(e.find("input too large"), std::string::npos) << e;
    EXPECT_NE(e.find("12884901888 elements"), std::string::npos) << e;
  }
  {
    // A 1M-output fc: the weight tensor's dimensions alone are refused, before any allocation.
    ModelBuilder mb({1, 4096, 1, 1});
    auto* t = mb.g->add_initializer();
    t->set_name("w");
    t->set_data_type(onnx::TensorProto::FLOAT);
    t->add_dims(4096);
    t->add_dims(1 << 20);
    mb.node("Flatten", {"x"}, "f");
    mb.node("MatMul", {"f", "w"}, "y");
    mb.output("y");
    const std::string e = import_error(mb.save(dir, "fc.onnx"));
    EXPECT_NE(e.find("tensor too large"), std::string::npos) << e;
    EXPECT_NE(e.find("[4096, 1048576]"), std::string::npos) << e;
  }
}

TEST(OnnxBadInput, UnmappableUsesNameTheNode) {
  const std::string dir = test::make_temp_dir("onnx");
  {
    ModelBuilder mb({1, 3, 8, 8});
    mb.node("Conv", {"x", mb.init("w", {4, 3, 3, 3})}, "dil");
    auto* p = mb.node("MaxPool", {"dil"}, "pool");
    ModelBuilder::ints_attr(p, "kernel_shape", {2, 2});
    ModelBuilder::ints_attr(p, "dilations", {2, 2});
    mb.output("pool");
    const std::string e = import_error(mb.save(dir, "dil.onnx"));
    EXPECT_NE(e.find("node \"pool\" (MaxPool): dilated windows are supported for Conv only"),
              std::string::npos)
        << e;
  }
  {
    ModelBuilder mb({1, 3, 8, 8});
    mb.node("Relu", {"x"}, "r");
    mb.node("Clip", {"r", mb.scalar("lo", -1.0f), mb.scalar("hi", 1.0f)}, "clip");
    mb.output("clip");
    const std::string e = import_error(mb.save(dir, "clip.onnx"));
    EXPECT_NE(e.find("node \"clip\" (Clip): Clip range not supported"), std::string::npos) << e;
  }
  {
    ModelBuilder mb({1, 3, 8, 8});
    mb.node("Relu", {"x"}, "r");
    mb.node("Softmax", {"r"}, "s");
    mb.node("Relu", {"s"}, "t");
    mb.output("t");
    const std::string e = import_error(mb.save(dir, "softmax.onnx"));
    EXPECT_NE(e.find("Softmax inside the network"), std::string::npos) << e;
  }
  {
    ModelBuilder mb({1, 3, 8, 8});
    mb.node("Relu", {"x"}, "r");
    mb.node("Add", {"r", mb.init("k", {3, 8, 8})}, "a");
    mb.output("a");
    const std::string e = import_error(mb.save(dir, "addconst.onnx"));
    EXPECT_NE(e.find("node \"a\" (Add): Add with a constant that cannot be folded"),
              std::string::npos)
        << e;
  }
}

// An explicit zero Pad (as torch exports avg_pool2d with padding and count_include_pad, the
// pattern of Inception-v3 and DenseNet) folds into the Conv or AveragePool that reads it, with
// the node's own padding and SAME padding computed on the padded image; GlobalMaxPool is a
// max-pool window over the whole image. Opset 13 (pads an input) and opset 10 (an attribute).
TEST(Onnx, ExplicitPadAndGlobalMaxPoolMatchNumpyReference) {
  const std::string dir = test::make_temp_dir("onnx");
  for (const int opset : {13, 10}) {
    ModelBuilder mb({1, 3, 9, 8}, opset);
    auto pad = [&](const std::string& in, const std::string& out, std::vector<std::int64_t> pads) {
      if (opset >= 11) {
        mb.node("Pad", {in, mb.ints(out + "_p", pads)}, out);
      } else {
        ModelBuilder::ints_attr(mb.node("Pad", {in}, out), "pads", pads);
      }
    };
    pad("x", "p1", {0, 0, 1, 2, 0, 0, 2, 1});
    auto* c1 = mb.node("Conv", {"p1", mb.init("w1", {6, 3, 3, 3}), mb.init("b1", {6})}, "c1");
    ModelBuilder::ints_attr(c1, "pads", {1, 0, 0, 1});
    mb.node("Relu", {"c1"}, "r1");
    pad("r1", "p2", {0, 0, 1, 1, 0, 0, 1, 1});
    auto* ap = mb.node("AveragePool", {"p2"}, "ap");
    ModelBuilder::ints_attr(ap, "kernel_shape", {3, 3});
    pad("ap", "p3", {0, 0, 0, 1, 0, 0, 1, 0});
    auto* c2 = mb.node("Conv", {"p3", mb.init("w2", {4, 6, 3, 3})}, "c2");
    ModelBuilder::string_attr(c2, "auto_pad", "SAME_UPPER");
    ModelBuilder::ints_attr(c2, "strides", {2, 2});
    mb.node("GlobalMaxPool", {"c2"}, "gmp");
    mb.node("Flatten", {"gmp"}, "flat");
    auto* fc = mb.node("Gemm", {"flat", mb.init("wf", {3, 4}), mb.init("bf", {3})}, "fc");
    ModelBuilder::int_attr(fc, "transB", 1);
    mb.output("fc");
    const std::string path = mb.save(dir, "pad" + std::to_string(opset) + ".onnx");
    const OnnxImport m = import_onnx(path, {}, 1);
    ASSERT_EQ(m.net.layers.size(), 5u);  // c1, ap, c2, gmp, fc: no layer for a Pad
    const Layer& c = m.net.layers[0];
    EXPECT_EQ(std::vector<int>({c.pad_t, c.pad_l, c.pad_b, c.pad_r}),
              std::vector<int>({2, 2, 2, 2}));
    EXPECT_EQ(m.net.layers[3].type, LayerType::MaxPool);
    EXPECT_TRUE(m.notes.empty()) << m.notes.front();
    expect_matches_numpy(path, {}, false, false, dir);
  }
}

// Dilated convolutions (DeepLab, FCN, LR-ASPP): a plain one with explicit pads, a depthwise one
// with SAME padding and a different dilation per dimension, a strided one; against NumPy in
// float, and through the simulator bit-exact on the integer reference in both dataflows with
// buffers small enough for many input bands.
TEST(Onnx, DilatedConvolutionsMatchNumpyAndRunBitExact) {
  const std::string dir = test::make_temp_dir("onnx");
  ModelBuilder mb({1, 4, 19, 17});
  auto* c1 = mb.node("Conv", {"x", mb.init("w1", {8, 4, 3, 3}), mb.init("b1", {8})}, "c1");
  ModelBuilder::ints_attr(c1, "dilations", {2, 2});
  ModelBuilder::ints_attr(c1, "pads", {2, 2, 2, 2});
  mb.node("Relu", {"c1"}, "r1");
  auto* dw = mb.node("Conv", {"r1", mb.init("wd", {8, 1, 3, 3})}, "dw");
  ModelBuilder::int_attr(dw, "group", 8);
  ModelBuilder::ints_attr(dw, "dilations", {3, 2});
  ModelBuilder::string_attr(dw, "auto_pad", "SAME_UPPER");
  auto* c3 = mb.node("Conv", {"dw", mb.init("w3", {6, 8, 3, 2})}, "c3");
  ModelBuilder::ints_attr(c3, "dilations", {2, 3});
  ModelBuilder::ints_attr(c3, "strides", {2, 1});
  mb.output("c3");
  const std::string path = mb.save(dir, "dil.onnx");
  const OnnxImport m = import_onnx(path, {}, 1);
  ASSERT_EQ(m.net.layers.size(), 3u);
  EXPECT_EQ(m.net.layers[1].dil_h, 3);
  EXPECT_EQ(m.net.tensors[m.net.layers[1].output].h, 19);  // SAME keeps the size
  EXPECT_EQ(m.net.tensors[m.net.layers[2].output].h, (19 - 5) / 2 + 1);
  expect_matches_numpy(path, {}, false, false, dir);
  for (const std::string df : {"ws", "os"}) {
    expect_runs_bit_exact(
        path, {"array.dataflow=" + df, "buffers.activation_kib=2", "buffers.output_kib=2"}, dir,
        "dil-" + df);
  }
}

// DenseNet's pre-activation layers (torchvision's export): a concat of the block's tensors (of
// one tensor in the block's first layer, which is that tensor), then BatchNormalization and ReLU
// with no Conv before them to fold into: each runs on the PE array as a 1x1 depthwise conv with
// bias, the ReLU its clamp. Against NumPy, and bit-exact through the simulator.
TEST(Onnx, StandaloneBatchNormIsADepthwiseConvMatchingNumpyBitExact) {
  const std::string dir = test::make_temp_dir("onnx");
  ModelBuilder mb({1, 3, 10, 9});
  mb.node("Conv", {"x", mb.init("w1", {6, 3, 3, 3}), mb.init("b1", {6})}, "c1");
  ModelBuilder::int_attr(mb.node("Concat", {"c1"}, "cat1"), "axis", 1);
  auto bn = [&](const std::string& in, const std::string& out, std::int64_t c) {
    mb.node("BatchNormalization",
            {in, mb.init(out + "_g", {c}, 0.5f, 1.5f), mb.init(out + "_b", {c}),
             mb.init(out + "_m", {c}), mb.init(out + "_v", {c}, 0.2f, 2.0f)},
            out);
  };
  bn("cat1", "bn1", 6);
  mb.node("Relu", {"bn1"}, "r1");
  ModelBuilder::ints_attr(mb.node("Conv", {"r1", mb.init("w2", {4, 6, 3, 3})}, "c2"), "pads",
                          {1, 1, 1, 1});
  auto* cat = mb.node("Concat", {"c1", "c2"}, "cat2");
  ModelBuilder::int_attr(cat, "axis", 1);
  bn("cat2", "bn2", 10);
  mb.node("Conv", {"bn2", mb.init("w3", {5, 10, 1, 1})}, "c3");
  mb.output("c3");
  const std::string path = mb.save(dir, "bn.onnx");
  const OnnxImport m = import_onnx(path, {}, 1);
  // c1, bn1 (with the ReLU), c2, the concat, bn2, c3: no layer for the one-tensor concat.
  ASSERT_EQ(m.net.layers.size(), 6u);
  for (int i : {1, 4}) {
    const Layer& l = m.net.layers[static_cast<std::size_t>(i)];
    EXPECT_EQ(l.type, LayerType::Conv) << l.name;
    EXPECT_EQ(l.groups, l.out_channels) << l.name;
    EXPECT_EQ(l.kh * l.kw, 1) << l.name;
  }
  EXPECT_EQ(m.net.layers[1].act, Activation::Relu);
  EXPECT_EQ(m.net.layers[4].act, Activation::None);
  expect_matches_numpy(path, {}, false, false, dir);
  expect_runs_bit_exact(path, {"buffers.activation_kib=1"}, dir, "bn");
}

// ShuffleNet V2's channel split as torch exports it (Slice of the channels, the bounds computed
// from the Shape at import; the second half's end INT64_MAX) and a Split into unequal parts
// (opset 13: the sizes an input) become `slice` layers; a Slice of every channel is no layer. A
// slice of rows is refused naming the node. Against NumPy, and bit-exact through the simulator.
TEST(Onnx, ChannelSliceAndSplitMatchNumpyAndRunBitExact) {
  const std::string dir = test::make_temp_dir("onnx");
  ModelBuilder mb({1, 4, 8, 7});
  mb.node("Conv", {"x", mb.init("w1", {10, 4, 3, 3}), mb.init("b1", {10})}, "c1");
  mb.node("Shape", {"c1"}, "shape");
  mb.node("Gather", {"shape", mb.ints("one", {1})}, "channels");
  mb.node("Div", {"channels", mb.ints("two", {2})}, "half");
  mb.node("Slice", {"c1", mb.ints("zero", {0}), "half", mb.ints("ax1", {1})}, "lo");
  mb.node("Slice", {"c1", "half", mb.ints("big", {INT64_MAX}), mb.ints("ax1b", {1})}, "hi");
  mb.node("Slice", {"c1", mb.ints("from0", {0}), mb.ints("to10", {10}), mb.ints("ax1c", {1})},
          "all");
  mb.node("Conv", {"hi", mb.init("w2", {5, 5, 1, 1})}, "c2");
  auto* cat = mb.node("Concat", {"lo", "c2", "all"}, "cat");
  ModelBuilder::int_attr(cat, "axis", 1);
  auto* split = mb.node("Split", {"cat", mb.ints("sizes", {3, 8, 9})}, "s0");
  split->add_output("s1");
  split->add_output("s2");
  ModelBuilder::int_attr(split, "axis", 1);
  mb.node("Conv", {"s1", mb.init("w3", {3, 8, 3, 3})}, "c3");
  mb.output("c3");
  const std::string path = mb.save(dir, "slice.onnx");
  const OnnxImport m = import_onnx(path, {}, 1);
  // c1, lo, hi, c2, the concat, the three parts of the split, c3.
  ASSERT_EQ(m.net.layers.size(), 9u);
  EXPECT_EQ(count(m.net, find_layer_kind("slice")->type), 5);
  EXPECT_EQ(m.net.layers[2].channel0, 5);
  EXPECT_EQ(m.net.out_shape(m.net.layers[2]).c, 5);
  expect_matches_numpy(path, {}, false, false, dir);
  expect_runs_bit_exact(path, {}, dir, "slice");
  ModelBuilder bad({1, 4, 8, 7});
  bad.node("Conv", {"x", bad.init("w", {4, 4, 1, 1})}, "c");
  bad.node("Slice", {"c", bad.ints("s", {2}), bad.ints("e", {5}), bad.ints("a", {2})}, "rows");
  bad.output("rows");
  const std::string e = import_error(bad.save(dir, "bad.onnx"));
  EXPECT_NE(e.find("node \"rows\" (Slice): only a slice of the channels is supported"),
            std::string::npos)
      << e;
}

// Bilinear Resize (the segmentation models' upsampling: FCN, DeepLabV3, LR-ASPP): half-pixel
// centres to any size (sizes given), aligned corners by a scale below one; each a `bilinear`
// layer. Against NumPy, bit-exact through the simulator with bands that cut the resampling;
// `asymmetric` is refused naming the node.
TEST(Onnx, BilinearResizeMatchesNumpyAndRunsBitExact) {
  const std::string dir = test::make_temp_dir("onnx");
  ModelBuilder mb({1, 3, 9, 8});
  mb.node("Conv", {"x", mb.init("w1", {6, 3, 3, 3}), mb.init("b1", {6})}, "c1");
  auto* up = mb.node("Resize", {"c1", "", "", mb.ints("sizes", {1, 6, 17, 23})}, "up");
  ModelBuilder::string_attr(up, "mode", "linear");
  ModelBuilder::string_attr(up, "coordinate_transformation_mode", "half_pixel");
  mb.node("Conv", {"up", mb.init("w2", {5, 6, 3, 3})}, "c2");
  auto* down = mb.node("Resize", {"c2", "", mb.floats("scales", {1, 1, 0.5f, 0.5f})}, "down");
  ModelBuilder::string_attr(down, "mode", "linear");
  ModelBuilder::string_attr(down, "coordinate_transformation_mode", "align_corners");
  mb.node("Conv", {"down", mb.init("w3", {4, 5, 1, 1})}, "c3");
  mb.output("c3");
  const std::string path = mb.save(dir, "bilinear.onnx");
  const OnnxImport m = import_onnx(path, {}, 1);
  ASSERT_EQ(m.net.layers.size(), 5u);
  EXPECT_EQ(count(m.net, find_layer_kind("bilinear")->type), 2);
  EXPECT_EQ(m.net.out_shape(m.net.layers[1]).h, 17);
  EXPECT_EQ(m.net.out_shape(m.net.layers[1]).w, 23);
  EXPECT_EQ(m.net.out_shape(m.net.layers[3]).h, 7);  // floor(15 x 0.5)
  EXPECT_TRUE(m.net.layers[3].align_corners);
  expect_matches_numpy(path, {}, false, false, dir);
  expect_runs_bit_exact(path, {"buffers.activation_kib=1", "buffers.output_kib=1"}, dir, "bi");
  ModelBuilder bad({1, 3, 4, 4});
  auto* r = bad.node("Resize", {"x", "", bad.floats("s", {1, 1, 2, 2})}, "r");
  ModelBuilder::string_attr(r, "mode", "linear");
  ModelBuilder::string_attr(r, "coordinate_transformation_mode", "asymmetric");
  bad.output("r");
  const std::string e = import_error(bad.save(dir, "bad.onnx"));
  EXPECT_NE(e.find("node \"r\" (Resize): this coordinate mapping is not supported for linear"),
            std::string::npos)
      << e;
}

// Weights in an external file (what torch.onnx.export writes for a model over protobuf's 2 GiB,
// torchvision's regnet_y_128gf): read from "location" beside the model at "offset" for "length"
// bytes, the same network and weights as stored inline; a location outside the model's folder or
// a range past the file's end is refused naming the initializer.
TEST(Onnx, ExternalWeightsReadLikeInlineOnes) {
  const std::string dir = test::make_temp_dir("onnx");
  ModelBuilder mb({1, 3, 6, 5});
  mb.node("Conv", {"x", mb.init("w1", {4, 3, 3, 3}), mb.init("b1", {4})}, "c1");
  mb.node("Relu", {"c1"}, "r1");
  mb.node("Conv", {"r1", mb.init("w2", {2, 4, 1, 1})}, "c2");
  mb.output("c2");
  const std::string inline_path = mb.save(dir, "inline.onnx");
  // Both weight tensors into one file, the second after 16 bytes of padding.
  std::ofstream bin(dir + "/weights.bin", std::ios::binary);
  std::int64_t at = 0;
  auto move_out = [&](const std::string& name, const std::string& location, std::int64_t offset,
                      std::int64_t length_extra) {
    for (auto& t : *mb.g->mutable_initializer()) {
      if (t.name() != name) continue;
      const std::vector<float> v(t.float_data().begin(), t.float_data().end());
      const std::string pad(static_cast<std::size_t>(offset - at), '\0');
      bin.write(pad.data(), static_cast<std::streamsize>(pad.size()));
      bin.write(reinterpret_cast<const char*>(v.data()),
                static_cast<std::streamsize>(v.size() * sizeof(float)));
      at = offset + static_cast<std::int64_t>(v.size() * sizeof(float));
      t.clear_float_data();
      t.set_data_location(onnx::TensorProto::EXTERNAL);
      t.clear_external_data();
      auto kv = [&](const std::string& k, const std::string& val) {
        auto* e = t.add_external_data();
        e->set_key(k);
        e->set_value(val);
      };
      kv("location", location);
      kv("offset", std::to_string(offset));
      kv("length", std::to_string(v.size() * sizeof(float) + length_extra));
    }
  };
  move_out("w1", "weights.bin", 0, 0);
  move_out("w2", "weights.bin", at + 16, 0);
  bin.close();
  const std::string ext_path = mb.save(dir, "external.onnx");
  const OnnxImport a = import_onnx(inline_path, {}, 1), b = import_onnx(ext_path, {}, 1);
  ASSERT_EQ(a.net.layers.size(), b.net.layers.size());
  for (std::size_t i = 0; i < a.net.layers.size(); ++i) {
    const FloatLayerParams pa = a.weights->layer_params(a.net, i);
    const FloatLayerParams pb = b.weights->layer_params(b.net, i);
    EXPECT_EQ(pa.weights, pb.weights) << i;
    EXPECT_EQ(pa.bias, pb.bias) << i;
  }
  // Refused: a location that leaves the folder, a range past the end of the file.
  auto& w1 = (*mb.g->mutable_initializer())[0];
  w1.mutable_external_data(0)->set_value("../weights.bin");
  std::string e = import_error(mb.save(dir, "up.onnx"));
  EXPECT_NE(e.find("initializer \"w1\".external_data.location: not a file beside the model"),
            std::string::npos)
      << e;
  w1.mutable_external_data(0)->set_value("weights.bin");
  w1.mutable_external_data(2)->set_value("100000");
  e = import_error(mb.save(dir, "past.onnx"));
  EXPECT_NE(e.find("initializer \"w1\".external_data: outside weights.bin"), std::string::npos)
      << e;
}

// ShuffleNet's channel shuffle as torch exports it (Reshape to [1, G, C/G, H, W], Transpose of
// the two channel axes, Reshape back) becomes one `shuffle` layer; a grouped view reshaped back
// without the transpose is no layer at all. Against NumPy, and bit-exact through the simulator.
TEST(Onnx, ChannelShuffleMatchesNumpyAndRunsBitExact) {
  const std::string dir = test::make_temp_dir("onnx");
  ModelBuilder mb({1, 6, 7, 5});
  mb.node("Conv", {"x", mb.init("w1", {12, 6, 1, 1}), mb.init("b1", {12})}, "c1");
  mb.node("Reshape", {"c1", mb.ints("to5", {1, 3, 4, 7, 5})}, "grouped");
  ModelBuilder::ints_attr(mb.node("Transpose", {"grouped"}, "swapped"), "perm", {0, 2, 1, 3, 4});
  mb.node("Reshape", {"swapped", mb.ints("to4", {1, -1, 7, 5})}, "shuffled");
  mb.node("Reshape", {"shuffled", mb.ints("to5b", {1, 2, 6, 7, 5})}, "view");
  mb.node("Reshape", {"view", mb.ints("to4b", {1, 12, 7, 5})}, "same");
  mb.node("Conv", {"same", mb.init("w2", {4, 12, 3, 3})}, "c2");
  mb.output("c2");
  const std::string path = mb.save(dir, "shuffle.onnx");
  const OnnxImport m = import_onnx(path, {}, 1);
  ASSERT_EQ(m.net.layers.size(), 3u);  // c1, the shuffle, c2
  EXPECT_EQ(std::string(to_string(m.net.layers[1].type)), "shuffle");
  EXPECT_EQ(m.net.layers[1].groups, 3);
  expect_matches_numpy(path, {}, false, false, dir);
  expect_runs_bit_exact(path, {}, dir, "shuffle");
  // Any other transpose of the grouped view is refused naming the node.
  ModelBuilder bad({1, 6, 7, 5});
  bad.node("Reshape", {"x", bad.ints("to5", {1, 2, 3, 7, 5})}, "g");
  ModelBuilder::ints_attr(bad.node("Transpose", {"g"}, "t"), "perm", {0, 3, 1, 2, 4});
  bad.output("t");
  const std::string e = import_error(bad.save(dir, "bad.onnx"));
  EXPECT_NE(e.find("node \"t\" (Transpose): only a channel shuffle's transpose"), std::string::npos)
      << e;
}

// Inputs of rank 3 ([N, C, L]: 1-D convolutions, pooling, a keyword-spotting MLP's Flatten) and
// rank 2 ([N, F]: an MLP) import as images of one row or one pixel; against NumPy, and the 1-D
// CNN bit-exact through the simulator.
TEST(Onnx, SignalAndFeatureInputsMatchNumpy) {
  const std::string dir = test::make_temp_dir("onnx");
  {  // 1-D CNN
    ModelBuilder mb({1, 8, 50});
    auto* c1 = mb.node("Conv", {"x", mb.init("w1", {12, 8, 5}), mb.init("b1", {12})}, "c1");
    ModelBuilder::ints_attr(c1, "pads", {2, 2});
    ModelBuilder::ints_attr(c1, "strides", {2});
    mb.node("BatchNormalization",
            {"c1", mb.init("g", {12}, 0.5f, 1.5f), mb.init("be", {12}), mb.init("mu", {12}),
             mb.init("var", {12}, 0.2f, 1.0f)},
            "bn");
    mb.node("Relu", {"bn"}, "r1");
    auto* mp = mb.node("MaxPool", {"r1"}, "mp");
    ModelBuilder::ints_attr(mp, "kernel_shape", {2});
    ModelBuilder::ints_attr(mp, "strides", {2});
    auto* c2 = mb.node("Conv", {"mp", mb.init("w2", {6, 12, 3})}, "c2");
    ModelBuilder::ints_attr(c2, "dilations", {2});
    ModelBuilder::string_attr(c2, "auto_pad", "SAME_UPPER");
    mb.node("GlobalAveragePool", {"c2"}, "gap");
    mb.node("Flatten", {"gap"}, "flat");
    auto* fc = mb.node("Gemm", {"flat", mb.init("wf", {4, 6}), mb.init("bf", {4})}, "fc");
    ModelBuilder::int_attr(fc, "transB", 1);
    mb.output("fc");
    const std::string path = mb.save(dir, "cnn1d.onnx");
    const OnnxImport m = import_onnx(path, {}, 1);
    EXPECT_EQ(m.net.tensors[0].h, 1);
    EXPECT_EQ(m.net.tensors[0].w, 50);
    EXPECT_EQ(m.net.tensors[m.net.layers[0].output].w, 25);
    expect_matches_numpy(path, {}, false, false, dir, 3);
    const std::string cmd = std::string(CONLOCNN_SIM_BIN) + " run --workload '" + path +
                            "' --out '" + dir + "/r' > '" + dir + "/log' 2>&1";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
    std::ifstream log(dir + "/log");
    const std::string text((std::istreambuf_iterator<char>(log)), {});
    EXPECT_NE(text.find("bit-exact against the integer reference"), std::string::npos) << text;
  }
  {  // keyword MLP on [1, 16, 96]: Flatten + Gemm
    ModelBuilder mb({1, 16, 96});
    mb.node("Flatten", {"x"}, "flat");
    auto* f1 = mb.node("Gemm", {"flat", mb.init("w1", {32, 16 * 96}), mb.init("b1", {32})}, "f1");
    ModelBuilder::int_attr(f1, "transB", 1);
    mb.node("Relu", {"f1"}, "r");
    auto* f2 = mb.node("Gemm", {"r", mb.init("w2", {5, 32})}, "f2");
    ModelBuilder::int_attr(f2, "transB", 1);
    mb.output("f2");
    const std::string path = mb.save(dir, "mlp3.onnx");
    expect_matches_numpy(path, {}, false, false, dir, 3);
  }
  {  // MLP on features [1, 40]
    ModelBuilder mb({1, 40});
    mb.node("MatMul", {"x", mb.init("w1", {40, 16})}, "f1");
    mb.node("Relu", {"f1"}, "r");
    mb.node("MatMul", {"r", mb.init("w2", {16, 3})}, "f2");
    mb.output("f2");
    const std::string path = mb.save(dir, "mlp2.onnx");
    const OnnxImport m = import_onnx(path, {}, 1);
    EXPECT_EQ(m.net.layers.size(), 2u);
    expect_matches_numpy(path, {}, false, false, dir, 2);
  }
}

// tf2onnx's audio CNNs: an NHWC input with one channel, [1, H, W, 1], reshaped to NCHW
// [1, 1, H, W] (the same data in the same order), then convs, LeakyRelu, Max and MaxPool.
TEST(Onnx, OneChannelLayoutReshapeIsARelabelling) {
  const std::string dir = test::make_temp_dir("onnx");
  ModelBuilder mb({1, 12, 10, 1});
  mb.node("Reshape", {"x", mb.ints("to", {1, 1, 12, 10})}, "img");
  mb.node("Conv", {"img", mb.init("w1", {6, 1, 3, 3}), mb.init("b1", {6})}, "c1");
  ModelBuilder::float_attr(mb.node("LeakyRelu", {"c1"}, "lr"), "alpha", 0.2f);
  mb.node("Max", {"c1", "lr"}, "mx");
  auto* mp = mb.node("MaxPool", {"mx"}, "mp");
  ModelBuilder::ints_attr(mp, "kernel_shape", {2, 2});
  ModelBuilder::ints_attr(mp, "strides", {2, 2});
  mb.node("Conv", {"mp", mb.init("w2", {4, 6, 3, 3})}, "c2");
  mb.output("c2");
  const std::string path = mb.save(dir, "audio.onnx");
  const OnnxImport m = import_onnx(path, {}, 1);
  EXPECT_EQ(m.net.tensors[0].h, 12);
  EXPECT_EQ(m.net.tensors[0].w, 10);
  EXPECT_EQ(m.net.tensors[0].c, 1);
  expect_matches_numpy(path, {}, true, false, dir);
}

// A Pad the importer cannot fold is refused naming the node and what it needed.
TEST(OnnxBadInput, UnfoldablePadsNameTheNode) {
  const std::string dir = test::make_temp_dir("onnx");
  struct Case {
    std::string name, op, mode;
    std::vector<std::int64_t> pads;
    std::string expect;
  };
  const std::vector<Case> cases = {
      {"maxpool",
       "MaxPool",
       "",
       {0, 0, 1, 1, 0, 0, 1, 1},
       "node \"m\" (MaxPool): reads the output of an explicit Pad"},
      {"reflect",
       "Conv",
       "reflect",
       {0, 0, 1, 1, 0, 0, 1, 1},
       "node \"p\" (Pad): only constant (zero) padding"},
      {"channel", "Conv", "", {0, 1, 0, 0, 0, 0, 0, 0}, "node \"p\" (Pad): pads the channel axis"},
      {"crop", "Conv", "", {0, 0, -1, 0, 0, 0, 0, 0}, "node \"p\" (Pad): pads out of range"},
      {"wide",
       "Conv",
       "",
       {0, 0, 3, 0, 0, 0, 0, 0},
       "node \"m\" (Conv): the explicit Pad before it is as wide as the kernel"}};
  for (const Case& c : cases) {
    ModelBuilder mb({1, 3, 8, 8});
    auto* p = mb.node("Pad", {"x", mb.ints("pads", c.pads)}, "p");
    if (!c.mode.empty()) ModelBuilder::string_attr(p, "mode", c.mode);
    auto* m = c.op == "Conv" ? mb.node("Conv", {"p", mb.init("w", {4, 3, 3, 3})}, "m")
                             : mb.node(c.op, {"p"}, "m");
    if (c.op == "MaxPool") ModelBuilder::ints_attr(m, "kernel_shape", {2, 2});
    mb.output("m");
    const std::string e = import_error(mb.save(dir, c.name + ".onnx"));
    EXPECT_NE(e.find(c.expect), std::string::npos) << c.name << ": " << e;
  }
  {
    ModelBuilder mb({1, 3, 8, 8});
    mb.node("Pad", {"x", mb.ints("pads", {0, 0, 1, 1, 0, 0, 1, 1}), mb.init("v", {1}, 1.0f, 1.0f)},
            "p");
    mb.node("Conv", {"p", mb.init("w", {4, 3, 3, 3})}, "m");
    mb.output("m");
    const std::string e = import_error(mb.save(dir, "value.onnx"));
    EXPECT_NE(e.find("node \"p\" (Pad): only zero padding folds"), std::string::npos) << e;
  }
}

// Every op the importer accepts is named in docs/workloads.md's ONNX table (docs/extending.md,
// "Add an ONNX op", step 3), and the table names no op the importer refuses.
TEST(Onnx, DocsListEverySupportedOp) {
  std::ifstream in(std::string(CONLOCNN_SOURCE_DIR) + "/docs/workloads.md");
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string doc = ss.str();
  const auto begin = doc.find("| ONNX op | becomes | cost |");
  ASSERT_NE(begin, std::string::npos);
  const std::string table = doc.substr(begin, doc.find("\n\n", begin) - begin);
  std::set<std::string> named;
  const std::regex op("`([A-Z][A-Za-z]+)`");
  for (std::sregex_iterator m(table.begin(), table.end(), op), end; m != end; ++m)
    named.insert((*m)[1]);
  std::set<std::string> supported(onnx_detail::kSupported.begin(), onnx_detail::kSupported.end());
  for (const auto& kind : layer_kinds()) {
    for (const auto& o : kind.onnx_ops)
      supported.insert(o);
  }
  for (const auto& o : supported)
    EXPECT_TRUE(named.count(o)) << o << " is imported but not in docs/workloads.md's ONNX table";
  for (const auto& o : named)
    EXPECT_TRUE(supported.count(o)) << o << " is in the ONNX table but not imported";
}
