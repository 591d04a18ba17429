#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "sim/report/run_report.h"

namespace conloc {

// ELP_BSD vs fixed-point on the same workload, array, buffers and clock: comparison.csv (one row
// per layer and a TOTAL row), comparison.json ({"elp": summary, "fixed": summary, "layers": [...]})
// and a readable table.
struct Comparison {
  nlohmann::json json;
  std::string csv;
  std::string table;
};

Comparison compare_reports(const RunResult& elp, const RunResult& fixed);

}  // namespace conloc
