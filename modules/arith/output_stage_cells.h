#pragma once

#include "modules/arith/cell_counts.h"

namespace conloc {

// Cells one output of the output stage switches: the bias add (into which the compensation
// constant is folded, so compensation adds nothing here), the 15-bit rescale multiply, the
// rounding add, the shift (6-stage barrel shifter) and the clamp (two compares). The vector unit's
// average pooling reuses it for its 1/count rescale.
inline CellCounts output_stage_cells(int acc_bits, int act_bits) {
  CellCounts c = add_cells(acc_bits);
  c += mult_cells(acc_bits, 15);
  c += add_cells(acc_bits);
  c.mux2 += 6.0 * acc_bits;
  c += add_cells(act_bits + 1) * 2.0;
  return c;
}

}  // namespace conloc
