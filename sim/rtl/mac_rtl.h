#pragma once

#include <cstdint>
#include <string>

#include "sim/config/sim_config.h"

namespace conloc {

// Synthesizable Verilog-2005 of one PE's MAC arithmetic for a design (docs/rtl.md), generated
// from the same format description the simulator uses:
//   module conloc_mac(input signed [A-1:0] a, input [C-1:0] code, input signed [ACC-1:0] acc_in,
//                     output signed [ACC-1:0] acc_out);   acc_out = wrap(acc_in + a * w(code))
// `a` is the activation operand, activation_bits + 1 wide: unsigned activations arrive
// zero-extended, signed ones sign-extended. Fixed point: a multiplier on the two's-complement
// code, operand-isolated when the code is 0. ELP_BSD (v1 field layout, parallel terms): the
// fields P, G_j, S_j drive barrel shifters and conditional negation, and the sum of the enabled
// terms, halved, is added to the accumulator (ElpBsdMac); term-serial: one term per cycle through
// one shifter (clocked ports, below). ELP_BSD v2: a decoder (a fixed case table, or a loadable
// table for a per-layer level set) drives a shifter per term (ElpLutMac).
struct MacRtl {
  std::string module_name;  // conloc_mac
  std::string design;       // e.g. "elp5"
  std::string verilog;
  std::string readme;
  int activation_operand_bits = 9, code_bits = 0, accumulator_bits = 32;
  // The structural energy model's cells for the design's costliest code (unsigned activations:
  // the operand is activation_bits + 1 wide, as the RTL port), as transistors: full-adder bit 28,
  // multiplier cell (AND + full adder) 34, MUX2 12, XOR2 12, AND2 6, flip-flop 24 (the ratios
  // docs/energy.md uses) -- to set beside a synthesized count.
  double model_transistors = 0;
  std::string model_cells;  // the counts, as text
  // A per-layer v2 level set: the decoder is a table of registers written through tbl_we /
  // tbl_addr / tbl_data on clk; `table` is the entries of the level set the vectors use, one
  // "index word" line per magnitude. Empty for a fixed decoder.
  std::string table;
  int table_entries = 0, table_word_bits = 0;
  // Every magnitude the loadable decoder can hold (each sum of at most K signed digits below
  // position N), one "magnitude word" line each, the entry in the PE's own digit form: what a
  // characterisation by level loads, a table of them at a time (scripts/toggle_energy.py).
  std::string values;
  // Term-serial (v1 layout): clk, start and done ports; acc_out is a register; one term per
  // cycle. The vectors carry the cycles the C++ model counts as a fifth column.
  bool serial = false;
};

// Every MAC design the simulator models: fixed point, ELP_BSD v1 (parallel or term-serial) and
// v2 (fixed or loadable decoder).
MacRtl generate_mac_rtl(const SimConfig& cfg);

// The FNV-1a 64 (fnv1a_hex) of the Verilog generate_mac_rtl writes for `cfg`: the circuit a MAC
// characterisation is looked up by (sim/energy/energy_cost.h mac_energies).
std::string mac_circuit_fnv1a64(const SimConfig& cfg);

// Test vectors for co-simulation: every valid code x every activation of both signednesses, each
// with pseudo-random accumulator inputs (edges included), and the C++ datapath's result
// (ElpBsdMac / FixedPointMac::mac). One line per vector: "code a acc_in acc_out" in decimal.
std::string mac_test_vectors(const SimConfig& cfg, std::uint64_t seed, std::uint64_t* count);

// The decoder table a layer of v2 format `f` loads into the loadable decoder of a PE of format `pe`
// (f itself, or the PE a mixed design runs f on): "index word" per magnitude of f, decimal, each
// word in the PE's field layout.
class ElpLutFormat;
std::string v2_decoder_table(const ElpLutFormat& f, const ElpLutFormat& pe);

}  // namespace conloc
