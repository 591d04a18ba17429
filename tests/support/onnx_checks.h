#pragma once

// Checks of an imported ONNX model that the ONNX tests share: its float reference against an
// independent NumPy evaluation of the file (scripts/onnx_reference.py), and a functional run of
// the simulator bit-exact against the integer reference.
#include <cstdint>
#include <string>
#include <vector>

#include "modules/common/network.h"

namespace conloc::test_support {

// The relative error float32 arithmetic warrants between two evaluations of `net` that sum in
// different orders.
double float32_tolerance(const Network& net);

// The imported model's float reference on its synthetic input against NumPy's evaluation of the
// same file, at float32_tolerance; the input written in the model's layout (`nhwc`, or rank 3 /
// 2 inputs), `before_softmax`: compared before a final Softmax. Files go to `dir`.
void expect_matches_numpy(const std::string& model, const std::vector<std::int64_t>& shape,
                          bool nhwc, bool before_softmax, const std::string& dir, int rank = 4);

// `run --workload model` with `sets` (--set key=value) ends bit-exact against the integer
// reference; `tag` names the run's folder in `dir`.
void expect_runs_bit_exact(const std::string& model, const std::vector<std::string>& sets,
                           const std::string& dir, const std::string& tag);

}  // namespace conloc::test_support
