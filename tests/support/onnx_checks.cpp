#include "tests/support/onnx_checks.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <gtest/gtest.h>
#include <iterator>

#include "sim/reference/float_inference.h"
#include "sim/workload/npy.h"
#include "sim/workload/onnx_import.h"
#include "sim/workload/workload.h"

namespace conloc::test_support {

// What float32 arithmetic warrants between two evaluations of one network that sum in different
// orders (the simulator's float reference against NumPy's), relative to the largest output: each
// PE-array layer's dot products of length K are off by about sqrt(K) units in the last place of
// float32 (u = 2^-24; the typical, random-walk growth of a sum's rounding error), and a layer
// passes its input's relative error on about unchanged, so the layers' errors add up:
// u x sum over layers of sqrt(K). (Measured at 0.1-0.4 of it on the four models here; a
// BatchNorm folded without its epsilon is 12x over it on the synthetic model, 25-67x on the
// PaddleOCR ones.)
double float32_tolerance(const Network& net) {
  double sum = 0;
  for (const Layer& l : net.layers) {
    if (l.on_pe_array()) sum += std::sqrt(static_cast<double>(net.gemm(l).k));
  }
  return std::ldexp(sum, -24);
}

// Runs the imported model's float reference on its synthetic input and compares with the NumPy
// evaluation of the same ONNX file, at float32_tolerance; the input is written in the model's
// layout.
void expect_matches_numpy(const std::string& model, const std::vector<std::int64_t>& shape,
                          bool nhwc, bool before_softmax, const std::string& dir, int rank) {
  const OnnxImport m = import_onnx(model, shape, 3);
  const std::vector<float> x = m.weights->input(m.net);
  const FloatNetwork f(m.net, *m.weights);
  const std::vector<float> y = f.forward(x);
  const TensorShape s = m.net.tensors[0];
  NpyArray in;
  in.shape = nhwc        ? std::vector<std::int64_t>{1, s.h, s.w, s.c}
             : rank == 3 ? std::vector<std::int64_t>{1, s.c, s.w}  // a signal: one row
             : rank == 2 ? std::vector<std::int64_t>{1, s.c}       // features: one pixel
                         : std::vector<std::int64_t>{1, s.c, s.h, s.w};
  in.data.resize(x.size());
  for (int c = 0; c < s.c; ++c)
    for (int h = 0; h < s.h; ++h)
      for (int w = 0; w < s.w; ++w) {
        const std::size_t hwc = (static_cast<std::size_t>(h) * s.w + w) * s.c + c;
        in.data[nhwc ? hwc : (static_cast<std::size_t>(c) * s.h + h) * s.w + w] = x[hwc];
      }
  write_npy(dir + "/in.npy", in);
  write_npy(dir + "/ours.npy", {{static_cast<std::int64_t>(y.size())}, y});
  char tol[32];
  std::snprintf(tol, sizeof tol, "%.3g", float32_tolerance(m.net));
  const std::string cmd = "/usr/bin/python3 '" + std::string(CONLOCNN_SOURCE_DIR) +
                          "/scripts/onnx_reference.py' '" + model + "' '" + dir + "/in.npy' '" +
                          dir + "/ours.npy'" + (before_softmax ? " --before-softmax" : "") +
                          " --tol " + tol;
  EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
}

// `run --workload model` with `sets` (--set key=value) ends bit-exact against the integer
// reference; `tag` names the run's folder in `dir`.
void expect_runs_bit_exact(const std::string& model, const std::vector<std::string>& sets,
                           const std::string& dir, const std::string& tag) {
  const std::string out = dir + "/run-" + tag;
  std::string cmd = std::string(CONLOCNN_SIM_BIN) + " run --workload '" + model + "'";
  for (const std::string& kv : sets)
    cmd += " --set " + kv;
  cmd += " --out '" + out + "' > '" + out + ".log' 2>&1";
  const int rc = std::system(cmd.c_str());
  std::ifstream log(out + ".log");
  const std::string text((std::istreambuf_iterator<char>(log)), {});
  ASSERT_EQ(rc, 0) << cmd << "\n" << text;
  EXPECT_NE(text.find("bit-exact against the integer reference"), std::string::npos) << text;
}

}  // namespace conloc::test_support
