#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "sim/report/run_report.h"

namespace conloc {

// Any number of designs on the same workload, array, buffers and clock, against a baseline
// design (the last one): comparison.csv (one row per layer and a TOTAL row; per design its
// cycles, energy, DRAM bytes and energy by component, and its ratios to the baseline),
// comparison.json ({"designs": {label: summary}, "baseline": label, "layers": [...]}) and a
// readable table.
struct Comparison {
  nlohmann::json json;
  std::string csv;
  std::string table;
};

// `labels[i]` names `runs[i]` (registry names such as "elp5", "fixed8"); the last is the baseline.
Comparison compare_runs(const std::vector<RunResult>& runs, const std::vector<std::string>& labels);

}  // namespace conloc
