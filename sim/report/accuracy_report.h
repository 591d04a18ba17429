#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "sim/accuracy/accuracy.h"
#include "sim/run/run_result.h"

namespace conloc {

// What the accuracy command evaluated, and what each quantized variant cost on the accelerator.
struct AccuracyTable {
  const Workload* workload = nullptr;
  const Dataset* dataset = nullptr;
  const AccuracySetup* setup = nullptr;
  const SimConfig* base = nullptr;         // the configuration every variant departs from
  std::vector<std::string> formats;        // table rows, in order
  std::vector<std::string> compensations;  // columns at the first activation width
  std::vector<int> activation_bits;        // the first with every compensation
  const std::vector<AccuracyResult>* results = nullptr;  // the float reference first
  std::vector<const RunResult*> costs;                   // per result; null for the float reference
  bool accelerator_bit_exact = true;
};

// The accuracy command's files (docs/accuracy.md): accuracy.json (without its "seconds" and
// "jobs", which the command adds), accuracy.md and the per-layer layers.csv.
struct AccuracyFiles {
  nlohmann::json json;
  std::string markdown, layers_csv;
};
AccuracyFiles accuracy_report(const AccuracyTable& t);

}  // namespace conloc
