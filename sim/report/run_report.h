#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "sim/report/columns.h"
#include "sim/run/run_result.h"

namespace conloc {

// The per-layer cost trace: layers.csv and layers.json are written from this one table.
const ColumnTable<LayerRow>& layer_columns();

// Whole-run figures (one row per run): summary.json and the sweep's rows are written from it.
const ColumnTable<RunResult>& total_columns();

// summary.json: the totals, the energy breakdown, the config hash and the energy table's
// provenance.
nlohmann::json summary_json(const RunResult& r);

// How the run's PE-array layers' MACs were priced (sim/energy/energy_cost.h LayerMacEnergy): by
// the energy table's gate-level characterisation of the design's circuit, or by the structural
// model (an output-stationary array, a circuit the characterisation does not have); on the
// toggles of the simulated integer operands, or at reference operand statistics (a layer of one
// output position, a workload without input data). {"layers", "characterised", "structural",
// "simulated_operands", "reference_operands"}: numbers of PE-array layers.
nlohmann::json mac_energy_models(const RunResult& r);

// layers.csv, layers.json, summary.json, config.json, COMPUTE_REPORT.csv, BANDWIDTH_REPORT.csv,
// DETAILED_ACCESS_REPORT.csv and timeline.json into `dir`, each written atomically. An infeasible
// run writes summary.json and config.json only.
void write_run_outputs(const RunResult& r, const std::string& dir);

}  // namespace conloc
