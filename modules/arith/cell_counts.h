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
