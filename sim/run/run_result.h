#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "modules/controller/layer_plan.h"
#include "modules/controller/layer_stats.h"
#include "sim/config/sim_config.h"
#include "sim/energy/energy_cost.h"

namespace conloc {

// What one layer cost and how it was run: one row of the per-layer cost trace.
struct LayerRow {
  std::string layer, type;
  bool on_pe_array = false;
  // PE-array layers: the weights' format and stored width (the design's, or the layer's own
  // narrower one: design.layer_formats); empty and 0 elsewhere.
  std::string weight_format;
  int weight_code_bits = 0;
  std::int64_t macs = 0;
  std::uint64_t cycles = 0, compute_cycles = 0, stall_cycles = 0, standard_fold_cycles = 0;
  std::uint64_t port_stall_cycles = 0;  // of compute_cycles: the array waiting on buffer ports
  std::uint64_t folds = 0, tiles = 0, dma_transactions = 0;
  double utilization_pct = 0, overall_utilization_pct = 0, mapping_efficiency_pct = 0;
  // Bytes per memory level and operand.
  std::uint64_t dram_weights_read = 0, dram_inputs_read = 0, dram_outputs_written = 0;
  std::uint64_t wbuf_weights_written = 0, wbuf_weights_read = 0;
  std::uint64_t asram_inputs_written = 0, asram_inputs_read = 0;
  std::uint64_t obuf_written = 0, obuf_read = 0;
  EnergyBreakdown energy;
  double energy_pj = 0, energy_per_mac_pj = 0;
  double weight_sqnr_db = 0;
  // Output SQNR with and without the compensation, on the calibration images (in sample) and on a
  // held-out image (CompiledLayer).
  double output_sqnr_in_sample_db = 0, output_sqnr_uncompensated_in_sample_db = 0;
  double output_sqnr_held_out_db = 0, output_sqnr_uncompensated_held_out_db = 0;
  std::int64_t mismatches = -1;  // elements differing from the reference; -1 when not simulated
  // (code, activation) products where the MAC datapath disagrees with the fast GEMM's table;
  // -1 when not simulated.
  std::int64_t datapath_mismatches = -1;
  // PE-array layers: how the MACs were priced (LayerMacEnergy::model() and operands()).
  std::string mac_energy_model, mac_operands;
  std::string mapping;  // conv / fc: ConvMapping::text() of the mapping the layer ran with
  // Output-stage fusion (mapping.fusion): "applies <layer>" on a layer whose output stage ran the
  // next one (its output never left the chip), "in <layer>" on the layer it ran; else empty.
  std::string fusion;
  // Where each input came from ("dram", "on-chip": resident in the activation SRAM, "array": the
  // conv output a fused stage takes as it leaves the array), ';'-separated, and the output went.
  std::string inputs_from, output_to;
  nlohmann::json tiling;  // how the controller cut the layer
  nlohmann::json counts;  // raw action counts, for re-costing with another table
  double start_cycle = 0;
  // The SCALE-Sim-style reports' access columns: SRAM reads of inputs and weights and writes of
  // outputs, the same for DRAM (an operand that never moved: start = stop = 0).
  AccessWindow sram_ifmap, sram_filter, sram_ofmap, dram_ifmap, dram_filter, dram_ofmap;
};

// Wall-clock seconds per pipeline stage.
struct StageSeconds {
  // load: reading the workload (an ONNX import, a network JSON and its weights), shared by the
  // designs of one `compare`.
  double load = 0, compile = 0, plan = 0, simulate = 0, write = 0;
  // The compile was read from the persistent compile cache (sim/run/compile_cache.h).
  bool compile_cached = false;
  double total() const { return load + compile + plan + simulate + write; }
};

// The result of simulating one design on one workload: a plain value. Every report (run files,
// comparison, sweep rows) is built from it alone, never from live simulation objects.
struct RunResult {
  SimConfig config;
  std::string workload, design, weight_source;  // design: e.g. "elp5", "fixed8"
  MacKind mac = MacKind::ElpBsd;
  int code_bits = 0;
  bool functional = true;
  std::int64_t weights_total = 0, weights_quantized = 0;  // fewer quantized: sampled statistics
  std::vector<std::string> notes;  // what the workload's loader did not model exactly
  // mapping.fusion: the element-wise layers that could run in a conv's output stage but run on
  // their own, the mapper finding that cheaper (the fused ones say so in LayerRow::fusion).
  std::vector<std::string> unfused;
  std::size_t fused_layers() const {
    std::size_t n = 0;
    for (const LayerRow& row : rows)
      n += row.fusion.rfind("in ", 0) == 0;
    return n;
  }
  // mapping.fusion = residency and up: the tensors kept in the activation SRAM (LayerRow::
  // inputs_from / output_to say which layers read and write them there).
  std::size_t resident_tensors = 0;
  // mapping.fusion = depth-first: the groups the mapper formed and the layers in them (a group of
  // one plan counted too; LayerRow::fusion names each member's group).
  std::size_t depth_first_groups = 0, depth_first_layers = 0;
  // Layers no group starts at, by why (NetworkPlan::ungrouped): running them one after another
  // was cheaper, no band fit the buffers, the result has one band only, or every group that
  // saved would have left a layer outside it no room to run.
  std::size_t depth_first_cheaper_alone = 0, depth_first_no_band_fits = 0,
              depth_first_one_band_only = 0, depth_first_leaves_no_room = 0;
  // Set when a layer cannot be tiled into the buffers: nothing was simulated, the totals are 0.
  std::optional<Infeasibility> infeasible;

  std::vector<LayerRow> rows;
  std::int64_t macs = 0;
  std::uint64_t cycles = 0, stall_cycles = 0, port_stall_cycles = 0;
  std::uint64_t dram_bytes_read = 0, dram_bytes_written = 0;
  // The DRAM traffic no schedule avoids (docs/timing.md): every weight read once, every source
  // tensor (the input image; a layer list's layer inputs) read once and every tensor no layer
  // reads (the result) written once, for the whole batch, at the configured widths.
  std::uint64_t dram_compulsory_weights = 0, dram_compulsory_inputs = 0,
                dram_compulsory_outputs = 0;
  std::uint64_t dram_compulsory_bytes() const {
    return dram_compulsory_weights + dram_compulsory_inputs + dram_compulsory_outputs;
  }
  double latency_s = 0, energy_pj = 0;
  EnergyBreakdown energy;
  // Output elements differing from the reference plus datapath mismatches; -1: not checked.
  std::int64_t mismatches = -1;
  std::vector<TraceEvent> trace;
  nlohmann::json energy_table, energy_calibration;  // provenance of the costs
  StageSeconds seconds;

  bool feasible() const { return !infeasible.has_value(); }
  // MACs over the PE slots of every cycle, in percent.
  double utilization_pct() const;
};

}  // namespace conloc
