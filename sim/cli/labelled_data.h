#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "sim/workload/workload.h"

namespace conloc {

// What `accuracy` and `optimize` share: a trained workload with its labelled dataset, and a
// progress display for their long evaluations.

inline const char* kDefaultLabelledWorkload = "workloads/fmnist_resnet/network.json";

// The workload `file` with its dataset named (by itself or by `dataset`, an ONNX model's);
// `input_shape` as --input-shape. A workload that names none, or another one than `dataset`, is a
// UserError naming the option.
Workload load_labelled_workload(const std::string& file, const std::string& dataset,
                                const std::string& input_shape, std::uint64_t seed);

// Progress on stderr, prefixed with `label`: a bar redrawn in place on a terminal, a line per
// 10 % otherwise. Called with (work done, work total).
class ProgressBar {
 public:
  explicit ProgressBar(std::string label);
  void operator()(std::int64_t done, std::int64_t total);

 private:
  std::string label_;
  std::chrono::steady_clock::time_point t0_ = std::chrono::steady_clock::now();
  bool tty_;
  int last_decile_ = -1;
};

}  // namespace conloc
