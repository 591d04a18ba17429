#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>

#include "modules/arith/cell_counts.h"
#include "modules/arith/mac_actions.h"
#include "sim/energy/energy_table.h"

namespace conloc {

// Per-action energies derived from an EnergyTable by documented scaling rules (docs/energy.md):
//  - adder:      E(n)    = add_op + n * fa                  (fit through the two add anchors)
//  - multiplier: E(a, b) = mult_op + a * b * mult_cell      (fit through the two mult anchors)
//  - mux2 / xor2 / and2 / dff = ratio x fa                  (cell ratios from the table)
//  - a PE's MAC datapath per operation: each cell kind's energy x its activity_* factor, the
//    fraction of a cell's random-operand switching it sees in a weight-stationary PE on real
//    operand streams (fitted to gate-level toggles, docs/rtl.md; 1 = every cell as on random data)
//  - SRAM: energy per bit accessed, interpolated log-log in capacity between the anchors (end
//    segments extrapolated); writes = reads x sram_write_to_read. Or, when the table names a
//    CACTI SRAM table, CACTI's read / write energy per access of one half at the word width.
//  - DRAM: energy per bit transferred.
// Every MAC, adder and shifter in the simulator is costed through these rules, so a fixed-point and
// an ELP_BSD design of any width are compared on equal terms.
class EnergyModel {
 public:
  explicit EnergyModel(const EnergyTable& table);

  // Cells switching as with random operands (decoders at weight fetch, output stage, vector
  // unit, registers).
  double cells_pj(const CellCounts& c) const;
  // cells_pj split by cell kind (an adder's or multiplier's per-operation overhead with its
  // cells); the kinds the activity factors and scripts/toggle_energy.py use.
  struct PjByKind {
    double adder = 0, mult = 0, mux2 = 0, xor2 = 0, and2 = 0, dff = 0;
    double total() const { return adder + mult + mux2 + xor2 + and2 + dff; }
  };
  PjByKind cells_pj_by_kind(const CellCounts& c) const;
  // Energy by kind with each kind scaled by its activity factor (a MAC's operand path), and the
  // same for cells.
  double activity_weighted(const PjByKind& k) const;
  double mac_cells_pj(const CellCounts& c) const { return activity_weighted(cells_pj_by_kind(c)); }
  // The MAC datapath's activity (pe_mac_pj in energy_cost.h applies it): per cell kind of the
  // operand path; the accumulator add's, split by its two inputs (the partial sum arriving and
  // the product added); a value passing through a term adder or, on a weight-stationary column,
  // a gated operation's partial sum passing through the accumulator adder; and the operand toggle
  // rates at which these hold (all 0: the activity does not follow data).
  struct MacActivity {
    PjByKind kinds;
    double acc_psum = 1, acc_product = 0, term_pass = 0, psum_pass = 0;
    double serial_switch = 0;  // term-serial cycles of 2+ term weights (0: as the factors above)
    OperandToggles reference;
  };
  const MacActivity& mac_activity() const { return activity_; }
  double add_pj(int bits) const { return add_op_pj_ + bits * fa_pj_; }
  double mult_pj(int a_bits, int b_bits) const {
    return mult_op_pj_ + static_cast<double>(a_bits) * b_bits * mult_cell_pj_;
  }
  // Energy per bit read / written in a buffer of `capacity_bytes` (two halves) whose accesses move
  // words of `word_bits` (0: the table's word_bits): from the table's CACTI SRAM rows when it
  // names one ("sram_table"), else the Horowitz anchors (per bit of the capacity, any width).
  double sram_read_pj_per_bit(std::uint64_t capacity_bytes, int word_bits = 0) const;
  double sram_write_pj_per_bit(std::uint64_t capacity_bytes, int word_bits = 0) const;
  // Static power of a buffer of `capacity_bytes` (two arrays of half the capacity), mW: from the
  // CACTI table's leakage rows; 0 without them.
  double sram_leakage_mw(std::uint64_t capacity_bytes) const;
  // Static power of one logic transistor, mW: the CACTI table's leakage rows per SRAM cell
  // transistor (the largest array's leakage / (bits x 6), where the periphery's share is
  // smallest); 0 without leakage rows.
  double logic_leakage_mw_per_transistor() const;
  double dram_pj_per_bit() const { return dram_pj_per_bit_; }

  // Calibrated cell energies, for reports and docs.
  nlohmann::json calibration_json() const;
  const EnergyTable& table() const { return table_; }

  double fa_pj() const { return fa_pj_; }
  double mult_cell_pj() const { return mult_cell_pj_; }
  double add_op_pj() const { return add_op_pj_; }
  double mult_op_pj() const { return mult_op_pj_; }
  double mux2_pj() const { return mux2_pj_; }
  double xor2_pj() const { return xor2_pj_; }
  double and2_pj() const { return and2_pj_; }
  double dff_pj() const { return dff_pj_; }

 private:
  EnergyTable table_;
  double fa_pj_ = 0, add_op_pj_ = 0, mult_cell_pj_ = 0, mult_op_pj_ = 0;
  double mux2_pj_ = 0, xor2_pj_ = 0, and2_pj_ = 0, dff_pj_ = 0;
  MacActivity activity_;
  double write_to_read_ = 1.0, dram_pj_per_bit_ = 0;
  double cacti_pj_per_bit(std::uint64_t capacity_bytes, bool write, int word_bits) const;
  // Log-log interpolation of a row field in capacity (bytes of one array) among `rows`.
  static double cacti_interp(const std::vector<SramTable::Row>& rows, double capacity_bytes,
                             double SramTable::Row::*field);
  // (log2 capacity in bytes, log2 pJ per bit), ascending capacity.
  double sram_log_cap_[3] = {}, sram_log_e_[3] = {};
};

}  // namespace conloc
