#include <algorithm>
#include <utility>

#include "modules/base/error.h"
#include "modules/dataflow/dataflow_model.h"

namespace conloc {

// Input-stationary (docs/timing.md; SCALE-Sim's "is"): K on rows, M (output pixels) on columns,
// the N weights of each reduction index stream through. Each PE holds one input activation; row r
// receives weight w[k0 + r][n] at step n + r, which moves right one PE per step; partial sums move
// down and leave at the bottom. It is the weight-stationary array of the transposed product
// out^T = W^T in^T (the stationary operand the inputs, T = N): a fold takes T + rows + C_u(j) - 2
// steps with C_u the output pixels of column fold j, and the inputs are double-buffered in the
// PEs, so only the first fold's load is exposed. Term-serial MACs are not supported (their step
// length would change with every streamed weight): the configuration refuses them.
std::vector<DataflowModel::FoldBlock> InputStationary::fold_blocks(std::int64_t m, std::int64_t k,
                                                                   std::int64_t n,
                                                                   ArrayDims a) const {
  std::vector<FoldBlock> b;
  for (std::int64_t m0 = 0; m0 < m; m0 += a.cols) {
    for (std::int64_t k0 = 0; k0 < k; k0 += a.rows)
      b.push_back({k0, std::min(k, k0 + a.rows), 0, n});  // every weight of the rows streams
  }
  return b;
}

TileTiming InputStationary::tile(const TileGemm& g, ArrayDims a) const {
  CONLOC_ASSERT(g.m > 0 && g.k > 0 && g.n > 0, "pe_array", "empty tile");
  CONLOC_ASSERT(g.fold_steps.empty(), "pe_array",
                "term-serial MACs on an input-stationary array are not modelled");
  CONLOC_ASSERT(a.acc_entries == 0, "pe_array", "column accumulators need a WS array");
  TileGemm t = g;
  std::swap(t.m, t.n);
  ArrayDims plain = a;
  plain.ports = {};  // applied below, to the streams as they are
  TileTiming r = WeightStationary().tile(t, plain);
  std::swap(r.weight_reads, r.input_reads);
  std::swap(r.weight_reg_writes, r.act_reg_writes);
  apply_port_limits(r, a.ports);
  return r;
}

// As tile does: the weight-stationary floor of the transposed grid (m and n exchanged), its
// operands' reads exchanged back, then the ports.
TileTiming InputStationary::tiles_floor(const TileGrid& g, ArrayDims a) const {
  if (a.scalesim) return tiles(g, a);
  TileGrid t = g;
  std::copy(g.n, g.n + g.nn, t.m);
  std::copy(g.m, g.m + g.nm, t.n);
  t.nm = g.nn;
  t.nn = g.nm;
  ArrayDims plain = a;
  plain.ports = {};
  TileTiming r = WeightStationary().tiles_floor(t, plain);
  std::swap(r.weight_reads, r.input_reads);
  std::swap(r.weight_reg_writes, r.act_reg_writes);
  apply_port_floor(r, a.ports);
  return r;
}

}  // namespace conloc
