#pragma once

#include <cstdint>

#include "modules/arith/cell_counts.h"
#include "modules/common/network.h"
#include "modules/compensation_adder/output_stage_cells.h"

namespace conloc {

// Cells the vector unit switches for one layer with `ops` element operations (VectorTile::ops):
// max pooling compares, average pooling adds (24-bit sums) and one rescale per output, residual
// add two rescale multiplies, the sum, rounding, shift and clamp per output, mul one product and
// one rescale, an activation function one table lookup, concat one rescale, ReLU one compare;
// upsampling and depth-to-space move data only.
inline CellCounts vector_cells(const Layer& l, const TensorShape& out, std::uint64_t ops,
                               int act_bits) {
  const double elems = static_cast<double>(out.elements());
  CellCounts c;
  switch (l.type) {
    case LayerType::MaxPool:
      c += add_cells(act_bits + 1) * static_cast<double>(ops);
      break;
    case LayerType::AvgPool:
    case LayerType::GlobalAvgPool:
      c += add_cells(24) * static_cast<double>(ops);
      c += output_stage_cells(24, act_bits) * elems;
      break;
    case LayerType::Add:
      c += mult_cells(act_bits + 1, 15) * (2.0 * elems);
      c += add_cells(32) * (2.0 * elems);
      c.mux2 += 6.0 * 32 * elems;
      c += add_cells(act_bits + 1) * (2.0 * elems);
      break;
    case LayerType::Mul:
      // The product, then the output stage's rescale, rounding add, shift and clamp.
      c += mult_cells(act_bits + 1, act_bits + 1) * elems;
      c += mult_cells(2 * act_bits + 2, 15) * elems;
      c += add_cells(32) * elems;
      c.mux2 += 6.0 * 32 * elems;
      c += add_cells(act_bits + 1) * (2.0 * elems);
      break;
    case LayerType::Act:
      // A table lookup: the read path through a mux tree of act_bits levels, act_bits wide (an
      // approximation: docs/energy.md). Loading the table (2^bits entries per layer) is ignored.
      c.mux2 += static_cast<double>(act_bits) * act_bits * elems;
      break;
    case LayerType::Max:
      // Both operands rescaled (as the add), then one compare.
      c += mult_cells(act_bits + 1, 15) * (2.0 * elems);
      c += add_cells(32) * (2.0 * elems);
      c.mux2 += 6.0 * 32 * elems;
      c += add_cells(act_bits + 1) * (3.0 * elems);
      break;
    case LayerType::Concat:
      // One rescale per element into the common output scale (as the pooling output stage).
      c += output_stage_cells(act_bits + 1, act_bits) * elems;
      break;
    case LayerType::Upsample:
    case LayerType::DepthToSpace:
      break;  // data movement only: its cost is the memory traffic
    default:
      c += add_cells(act_bits + 1) * static_cast<double>(ops);
  }
  return c;
}

}  // namespace conloc
