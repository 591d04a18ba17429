#pragma once

namespace conloc {

// Structural size of some datapath activity, in standard cells switched. The energy model turns
// it into picojoules with one per-cell energy per kind, so every datapath is costed by one rule.
struct CellCounts {
  double adder_bits = 0.0;  // full-adder bits of carry-propagate adders
  double mult_cells = 0.0;  // AND + full-adder cells of an array multiplier (a_bits x b_bits)
  double add_ops = 0.0;     // adder operations (fixed per-operation overhead)
  double mult_ops = 0.0;    // multiplier operations (fixed per-operation overhead)
  double mux2 = 0.0;        // 2:1 multiplexers (barrel-shifter stages)
  double xor2 = 0.0;        // XOR gates (conditional negation)
  double and2 = 0.0;        // AND/OR gates (zero detection, gating)
  double dff = 0.0;         // flip-flop bit writes (pipeline and shift registers)

  CellCounts& operator+=(const CellCounts& o) {
    adder_bits += o.adder_bits;
    mult_cells += o.mult_cells;
    add_ops += o.add_ops;
    mult_ops += o.mult_ops;
    mux2 += o.mux2;
    xor2 += o.xor2;
    and2 += o.and2;
    dff += o.dff;
    return *this;
  }
  CellCounts operator*(double k) const {
    return {adder_bits * k, mult_cells * k, add_ops * k, mult_ops * k,
            mux2 * k,       xor2 * k,       and2 * k,    dff * k};
  }
};

// Transistor-equivalents of a set of cells: full-adder bit 28, multiplier cell (AND + full adder)
// 34, MUX2 and XOR2 12, AND2 6, flip-flop 24 (the ratios the energy table scales cell energies
// by, docs/energy.md). Fixed per-operation overheads have no size of their own.
inline double transistor_equivalents(const CellCounts& c) {
  return 28.0 * c.adder_bits + 34.0 * c.mult_cells + 12.0 * (c.mux2 + c.xor2) + 6.0 * c.and2 +
         24.0 * c.dff;
}

// Cells of one n-bit add.
inline CellCounts add_cells(int bits) {
  CellCounts c;
  c.adder_bits = bits;
  c.add_ops = 1;
  return c;
}

// Cells of one a x b array multiply.
inline CellCounts mult_cells(int a_bits, int b_bits) {
  CellCounts c;
  c.mult_cells = static_cast<double>(a_bits) * b_bits;
  c.mult_ops = 1;
  return c;
}

}  // namespace conloc
