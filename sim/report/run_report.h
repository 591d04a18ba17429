#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "modules/common/compiled_network.h"
#include "sim/config/sim_config.h"
#include "sim/energy/energy_model.h"

namespace conloc {

class Accelerator;

// Energy of a layer (or a run) by component, pJ.
struct EnergyBreakdown {
  double mac = 0, pe_registers = 0, weight_buffer = 0, activation_sram = 0, output_buffer = 0,
         dram = 0, compensation_adder = 0, vector_unit = 0;
  double total() const;
  EnergyBreakdown& operator+=(const EnergyBreakdown& o);
  nlohmann::json to_json() const;
  static const std::vector<std::string>& component_names();
  std::vector<double> values() const;
};

// One row of the per-layer cost trace.
struct LayerRow {
  std::string layer, type;
  std::int64_t macs = 0;
  std::uint64_t cycles = 0, compute_cycles = 0, stall_cycles = 0, standard_fold_cycles = 0;
  std::uint64_t folds = 0, tiles = 0, dma_transactions = 0;
  double utilization_pct = 0, overall_utilization_pct = 0, mapping_efficiency_pct = 0;
  // Bytes per memory level and operand.
  std::uint64_t dram_weights_read = 0, dram_inputs_read = 0, dram_outputs_written = 0;
  std::uint64_t wbuf_weights_written = 0, wbuf_weights_read = 0;
  std::uint64_t asram_inputs_written = 0, asram_inputs_read = 0;
  std::uint64_t obuf_written = 0, obuf_read = 0;
  EnergyBreakdown energy;
  double energy_pj = 0, energy_per_mac_pj = 0;
  double weight_sqnr_db = 0, output_sqnr_db = 0, output_sqnr_uncompensated_db = 0;
  std::int64_t mismatches = -1;  // elements differing from the reference; -1 when not simulated
  nlohmann::json tiling;         // how the controller cut the layer
  nlohmann::json counts;         // raw action counts, for re-costing with another table
  // Extra access detail for SCALE-Sim-style reports.
  double start_cycle = 0;
  std::uint64_t sram_ifmap_reads = 0, sram_filter_reads = 0, sram_ofmap_writes = 0;
  std::uint64_t dram_ifmap_reads = 0, dram_filter_reads = 0, dram_ofmap_writes = 0;
  double win[12] = {};  // start/stop cycles: sram ifmap, filter, ofmap; dram ifmap, filter, ofmap
  bool on_pe_array = false;
};

struct RunReport {
  std::string workload, design, weight_source;
  bool functional = true;
  std::vector<LayerRow> rows;
  std::int64_t macs = 0;
  std::uint64_t cycles = 0, stall_cycles = 0;
  std::uint64_t dram_bytes_read = 0, dram_bytes_written = 0;
  double latency_s = 0, energy_pj = 0, wall_seconds = 0;
  EnergyBreakdown energy;
  std::int64_t mismatches = -1;
  nlohmann::json summary;  // everything above plus config hash and energy table provenance
};

RunReport build_report(const Accelerator& acc, const CompiledNetwork& cn, const SimConfig& cfg,
                       const EnergyModel& energy, double wall_seconds);

// layers.csv, layers.json, summary.json, config.json, COMPUTE_REPORT.csv, BANDWIDTH_REPORT.csv,
// DETAILED_ACCESS_REPORT.csv and timeline.json into `dir`, each written atomically.
void write_run_outputs(const RunReport& r, const Accelerator& acc, const SimConfig& cfg,
                       const std::string& dir);

// Column names of layers.csv, in order (units in the names).
const std::vector<std::string>& layer_csv_columns();

}  // namespace conloc
