#include <cmath>
#include <gtest/gtest.h>

#include "modules/layers/network_builder.h"
#include "sim/config/sim_config.h"
#include "sim/quant/compiler.h"
#include "sim/reference/float_inference.h"
#include "sim/reference/inference.h"
#include "sim/workload/npy.h"
#include "sim/workload/npy_weights.h"
#include "sim/workload/weight_source.h"
#include "sim/workload/workload.h"

using namespace conloc;

namespace {

const std::string kFmnist = std::string(CONLOCNN_SOURCE_DIR) + "/workloads/fmnist_cnn/network.json";

std::vector<std::vector<float>> images(const Workload& w, int n) {
  const std::string dir = std::string(CONLOCNN_SOURCE_DIR) + "/workloads/fmnist_cnn/";
  std::vector<std::vector<float>> out;
  for (int i = 0; i < n; ++i)
    out.push_back(NpyWeights(dir + "weights", dir + "test_images.npy", i).input(w.net));
  return out;
}

SimConfig config(std::vector<std::string> sets = {}) {
  return load_sim_config(std::nullopt, sets);
}

void expect_same_tensors(const std::vector<IntTensor>& a, const std::vector<IntTensor>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t t = 0; t < a.size(); ++t) {
    EXPECT_EQ(a[t].data, b[t].data) << "tensor " << t;
    EXPECT_EQ(a[t].scale, b[t].scale) << "tensor " << t;
  }
}

}  // namespace

// The integer inference `accuracy` classifies with is the compiler's reference, which every
// functional run checks the simulated accelerator against.
TEST(Inference, ReproducesTheCompilersReference) {
  const Workload w = load_workload(kFmnist, 1);
  for (const char* design : {"elp", "fixed"}) {
    const SimConfig cfg = config({std::string("design.mac=") + design});
    const CompiledNetwork cn = compile_network(w.net, compile_spec(cfg, true), *w.weights);
    std::vector<IntTensor> t;
    infer(cn, w.weights->input(w.net), t);
    expect_same_tensors(t, cn.tensors);
  }
}

// Calibrating on several images: the input scale covers all of them, the reference is the first
// image's, and the calibration differs from one image's.
TEST(Inference, CalibrationSetCoversEveryImage) {
  const Workload w = load_workload(kFmnist, 1);
  const SimConfig cfg = config();
  const auto imgs = images(w, 6);
  const CompiledNetwork one =
      compile_calibrated(w.net, compile_spec(cfg, true), *w.weights, {imgs[0]});
  const CompiledNetwork six = compile_calibrated(w.net, compile_spec(cfg, true), *w.weights, imgs);
  double maxv = 0;
  for (const auto& im : imgs) {
    for (float v : im)
      maxv = std::max(maxv, std::abs(static_cast<double>(v)));
  }
  EXPECT_DOUBLE_EQ(six.tensors[0].scale, maxv / 127);
  std::vector<IntTensor> t;
  infer(six, imgs[0], t);
  expect_same_tensors(t, six.tensors);
  int differ = 0;
  for (std::size_t i = 1; i < six.tensors.size(); ++i)
    differ += six.tensors[i].scale != one.tensors[i].scale;
  EXPECT_GT(differ, 3);
  // A single-image calibration is exactly what compile_network does with that image.
  const CompiledNetwork run = compile_network(w.net, compile_spec(cfg, true), *w.weights);
  expect_same_tensors(run.tensors, one.tensors);
}

// Percentile calibration maps a smaller magnitude to the top level than min/max.
TEST(Inference, PercentileCalibrationClipsOutliers) {
  const Workload w = load_workload(kFmnist, 1);
  const auto imgs = images(w, 4);
  const SimConfig mm = config();
  const SimConfig pc =
      config({"design.activation_calibration=percentile", "design.activation_percentile=99"});
  const CompiledNetwork a = compile_calibrated(w.net, compile_spec(mm, true), *w.weights, imgs);
  const CompiledNetwork b = compile_calibrated(w.net, compile_spec(pc, true), *w.weights, imgs);
  // Fashion-MNIST images saturate at white (many pixels share the maximum), so the input scale
  // may not move; conv1's output has a long tail.
  EXPECT_LE(b.tensors[0].scale, a.tensors[0].scale);
  EXPECT_LT(b.tensors[1].scale, 0.9 * a.tensors[1].scale);
}

// The float reference and the 8-bit integer inference agree closely on the logits.
TEST(Inference, FloatReferenceAgreesWithEightBitInference) {
  const Workload w = load_workload(kFmnist, 1);
  const SimConfig cfg = config({"design.mac=fixed"});
  const auto imgs = images(w, 8);
  const CompiledNetwork cn = compile_calibrated(w.net, compile_spec(cfg, true), *w.weights, imgs);
  const FloatNetwork fn(w.net, *w.weights);
  double sig = 0, err = 0;
  int same = 0;
  std::vector<IntTensor> t;
  for (const auto& im : imgs) {
    const std::vector<float> f = fn.forward(im);
    infer(cn, im, t);
    const IntTensor& q = t.back();
    ASSERT_EQ(f.size(), q.data.size());
    std::size_t fa = 0, qa = 0;
    for (std::size_t i = 0; i < f.size(); ++i) {
      const double d = f[i] - q.scale * q.data[i];
      sig += f[i] * f[i];
      err += d * d;
      if (f[i] > f[fa]) fa = i;
      if (q.data[i] > q.data[qa]) qa = i;
    }
    same += fa == qa;
  }
  EXPECT_GT(10 * std::log10(sig / err), 20.0);
  EXPECT_GE(same, 7);
}

// The integer LayerNorm (modules/layers/kinds/layernorm.cpp) against the normalisation in
// doubles of the same input codes: every output code within half a step (plus the 2^-14-level
// error of its fixed-point factors) of the real normalised value, at both eps extremes (eps far
// below and near the variance) and at 8 and 4 activation bits.
TEST(Inference, LayerNormCodesAreTheNormalisedInputWithinHalfAStep) {
  for (const double eps : {1e-6, 0.05}) {
    for (const int bits : {8, 4}) {
      NetworkBuilder b("ln", {5, 6, 3}, "test");
      const int c = b.conv_window("c", 0, 24, Window::square(3, 1, 1), Activation::None, 1);
      b.layer_norm("ln", c, eps);
      const Network net = b.build();
      const SimConfig cfg = config({"design.activation_bits=" + std::to_string(bits)});
      const CompiledNetwork cn = compile_network(net, compile_spec(cfg, true), SyntheticWeights(3));
      const IntTensor &x = cn.tensors[net.layers[0].output], &y = cn.tensors[net.layers[1].output];
      const int ch = x.shape.c;
      int checked = 0;
      for (std::size_t p = 0; p < x.data.size(); p += static_cast<std::size_t>(ch)) {
        double mean = 0, var = 0;
        for (int k = 0; k < ch; ++k)
          mean += x.scale * x.data[p + k];
        mean /= ch;
        for (int k = 0; k < ch; ++k)
          var += std::pow(x.scale * x.data[p + k] - mean, 2);
        var /= ch;
        for (int k = 0; k < ch; ++k) {
          const double want = (x.scale * x.data[p + k] - mean) / std::sqrt(var + eps) / y.scale;
          EXPECT_NEAR(y.data[p + k], want, 0.5 + 1e-3 * std::abs(want) + 1e-9)
              << "eps " << eps << ", " << bits << " bits, pixel " << p / ch << ", channel " << k;
          ++checked;
        }
      }
      EXPECT_EQ(checked, 5 * 6 * 24);
    }
  }
}

// Pooled neighbour statistics, checked by hand on a ramp: each row 1, 2, 3 gives
// rho_h = (1*2 + 2*3) / (2^2 + 3^2) = 8/13; rows equal, so rho_v = 1.
TEST(Inference, NeighbourStatsByHand) {
  IntTensor t;
  t.shape = {2, 3, 1};
  t.data = {1, 2, 3, 1, 2, 3};
  const NeighbourStats one = neighbour_stats({&t});
  EXPECT_DOUBLE_EQ(one.rho_h, 8.0 / 13.0);
  EXPECT_DOUBLE_EQ(one.rho_v, 1.0);
  EXPECT_DOUBLE_EQ(one.mean[0], 2.0);
  IntTensor u = t;
  for (auto& v : u.data)
    v = static_cast<std::int16_t>(v * 3);
  const NeighbourStats two = neighbour_stats({&t, &u});
  EXPECT_DOUBLE_EQ(two.rho_h, 8.0 / 13.0);  // scale-free
  EXPECT_DOUBLE_EQ(two.mean[0], 4.0);
}

// The held-out output SQNR is measured on an image the compile never calibrated on, on that
// image's own layer inputs: recomputed here from the integer inference of the held-out image and
// the float weights, it is the compile's figure exactly; and it differs from the in-sample one
// where the compensation fitted the calibration image (the fmnist fc layer).
TEST(Inference, HeldOutOutputSqnrIsMeasuredOnTheHeldOutImage) {
  const Workload w = load_workload(kFmnist, 1);
  const SimConfig cfg = config({"design.compensation=both"});
  const CompiledNetwork cn = compile_network(w.net, compile_spec(cfg, true), *w.weights);
  const auto held = w.weights->held_out_input(w.net);
  ASSERT_TRUE(held.has_value());
  std::vector<IntTensor> t;
  infer(cn, *held, t);
  int checked = 0, differ = 0;
  for (std::size_t i = 0; i < w.net.layers.size(); ++i) {
    const Layer& l = w.net.layers[i];
    if (!l.on_pe_array()) continue;
    const CompiledLayer& cl = cn.layers[i];
    const OutputError e = output_error(t[l.inputs[0]], l, w.net, w.weights->layer_params(w.net, i),
                                       cl.w_scale, cl.wq, cl.bias, 16);
    EXPECT_EQ(e.sqnr_db(), cl.output_sqnr_held_out_db) << l.name;
    EXPECT_TRUE(std::isfinite(cl.output_sqnr_uncompensated_held_out_db)) << l.name;
    differ += cl.output_sqnr_held_out_db != cl.output_sqnr_in_sample_db;
    ++checked;
  }
  EXPECT_GT(checked, 3);
  EXPECT_EQ(differ, checked);
  // The next image of the file is held out, or, for the last, the one before it.
  const std::string dir = std::string(CONLOCNN_SOURCE_DIR) + "/workloads/fmnist_cnn/";
  const std::string file = dir + "test_images.npy";
  const int n = static_cast<int>(read_npy(file).shape[0]);
  EXPECT_EQ(NpyWeights(dir + "weights", file, 0).held_out_input(w.net),
            NpyWeights(dir + "weights", file, 1).input(w.net));
  EXPECT_EQ(NpyWeights(dir + "weights", file, n - 1).held_out_input(w.net),
            NpyWeights(dir + "weights", file, n - 2).input(w.net));
}
