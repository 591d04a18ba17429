#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "modules/common/compiled_network.h"
#include "modules/controller/layer_stats.h"
#include "sim/config/sim_config.h"
#include "sim/energy/energy_model.h"

namespace conloc {

// Energy of a layer (or a run) by component, pJ.
struct EnergyBreakdown {
  double mac = 0, pe_registers = 0, accumulators = 0, weight_buffer = 0, activation_sram = 0,
         output_buffer = 0, dram = 0, compensation_adder = 0, vector_unit = 0;
  double sram_leakage = 0, pe_leakage = 0;  // static power of the buffers and the PE array
  double total() const;
  EnergyBreakdown& operator+=(const EnergyBreakdown& o);
  nlohmann::json to_json() const;
  static const std::vector<std::string>& component_names();
  std::vector<double> values() const;
};

// What one simulated layer cost: energy by component, and the raw action counts it was computed
// from (written next to the energy so another table can be applied without re-running).
struct LayerCost {
  EnergyBreakdown energy;
  nlohmann::json counts;
};

// A PE's MAC energy for the operations `a` split into the parts the energy table's MAC activity
// constants apply to, each as on random operands (activity 1, no toggle rates): pe_mac_pj weights
// them, and `rtl --stream` writes them for scripts/toggle_energy.py to fit the constants to.
struct MacEnergyParts {
  EnergyModel::PjByKind operand;  // the operand path by cell kind (term adds in `adder`)
  double acc = 0;                 // the accumulator adds
  double term_pass = 0;           // terms passing through term adders (MacModel::pass_cells)
  double psum_pass = 0;           // zero weights' partial sums through the accumulator adder
  // Cycles that switch as on random operands (MacModel::switching_actions), split off only where
  // the table charges them apart (activity_serial_switch > 0); else in the parts above.
  double serial_switch = 0;
};
MacEnergyParts mac_energy_parts(const EnergyModel& em, const MacModel& mac, const MacActions& a);

// Energy of a PE's MAC for the operations `a`, pJ (docs/energy.md, "MAC activity"):
//  - the operand path (multiplier, or shifters, negation and term adds): its cells at the table's
//    per-kind activity factors (EnergyModel::mac_cells_pj);
//  - the accumulator add: at activity_acc_psum + activity_acc_product;
//  - term passes (a weight of fewer terms than the MAC has): the term adders' cells at
//    activity_term_pass;
//  - a term-serial MAC's cycles for weights of two or more terms (its shared shifter's amount and
//    input alternate every cycle): their cells at activity_serial_switch, without rates;
//  - on a weight-stationary array, the partial sum each gated (zero-weight) operation still passes
//    through the accumulator adder (operand isolation stops the multiplier or shifters, not the
//    column's partial sums): the adder at activity_psum_pass. An output-stationary PE's
//    accumulator holds.
// Where the table gives reference toggle rates and `toggles` were measured (a functional compile,
// weight-stationary), each part follows its driving operand: the operand path and term passes
// scale by the activation's measured / reference toggles, the accumulator's parts by the partial
// sum's and the product's, the partial-sum pass by the partial sum's.
double pe_mac_pj(const EnergyModel& em, const MacModel& mac, const MacActions& a, Dataflow dataflow,
                 const OperandToggles& toggles = {});

// How a PE-array layer's MAC operations were priced, and what they cost: the characterisation
// of the design's circuit (per held weight code, docs/rtl.md) where the table has one for it and
// the array is weight-stationary, else the structural model (per cell, at the table's activity
// factors); on the operand toggles of the layer's simulated integer data where the compile ran
// the integer reference and the layer has consecutive operations to sample, else at reference
// operand statistics (the characterisation's own reference streams, or the structural model's
// reference rates). The same for every command and mode: a timing-only run prices the same
// compiled network's operands as a functional one.
struct LayerMacEnergy {
  double pj = 0;  // the batch's MAC operations, layer set-up included (not the weight decoder,
                  // which follows the mapping's weight reads)
  bool characterised = false;
  bool simulated_operands = false;
  OperandToggles toggles;  // the sampled PEs' mean, when simulated
  // "characterised" or "structural", then "simulated operands" or "reference operands".
  std::string model() const;
  std::string operands() const;
};

// Every layer's MAC energy for `cn` on the accelerator `cfg` describes (vector layers: zero):
// the operand toggles are sampled here, where the array's rows (which partial sums a PE sees)
// are known. `circuit_fnv1a64`: the FNV-1a 64 of the design's generated MAC Verilog, which a
// characterisation is looked up by (run_mac_energies in sim/run computes it).
std::vector<LayerMacEnergy> mac_energies(const CompiledNetwork& cn, const SimConfig& cfg,
                                         const EnergyModel& em, const std::string& circuit_fnv1a64);

// What one bit or one nanosecond costs in each memory of the accelerator `cfg` describes:
// depends on the configuration only, so a caller costing many plans computes it once.
struct MemoryCosts {
  double read_pj_per_bit[3] = {}, write_pj_per_bit[3] = {};  // weight, activation, output buffer
  double dram_pj_per_bit = 0;
  double sram_leakage_mw = 0;
  double logic_leakage_mw_per_transistor = 0;
  MemoryCosts(const SimConfig& cfg, const EnergyModel& em);
};

// Counts x energy table for layer `index` of `cn`, from what the engines and memories measured
// and the layer's MAC energy (mac_energies); the action counts go to `counts` when given.
// `memory`: the configuration's memory costs, if the caller has them.
EnergyBreakdown layer_energy(const CompiledNetwork& cn, std::size_t index,
                             const LayerResult& measured, const SimConfig& cfg,
                             const EnergyModel& em, const LayerMacEnergy& mac,
                             nlohmann::json* counts = nullptr, const MemoryCosts* memory = nullptr);

// layer_energy with its counts.
LayerCost cost_layer(const CompiledNetwork& cn, std::size_t index, const LayerResult& measured,
                     const SimConfig& cfg, const EnergyModel& em, const LayerMacEnergy& mac);

}  // namespace conloc
