#include <algorithm>

#include "modules/base/error.h"
#include "modules/dataflow/dataflow_model.h"

namespace conloc {

// Weight-stationary (docs/timing.md): K on rows, N on columns, M streams through.
// Folds: for each column fold j, for each row fold i. Per fold, inputs enter row r skewed by r,
// move right; partial sums move down through all `rows` rows and leave at the bottom, so a fold
// takes T + rows + C_u(j) - 2 array steps (T = M). Weights are double-buffered in the PEs: the
// next fold's weights shift in while the current fold computes, so only the first fold's load
// (R_u rows, one per cycle) is exposed.
std::vector<DataflowModel::FoldBlock> WeightStationary::fold_blocks(std::int64_t, std::int64_t k,
                                                                    std::int64_t n,
                                                                    ArrayDims a) const {
  std::vector<FoldBlock> b;
  for (std::int64_t n0 = 0; n0 < n; n0 += a.cols) {
    for (std::int64_t k0 = 0; k0 < k; k0 += a.rows) {
      b.push_back({k0, std::min(k, k0 + a.rows), n0, std::min(n, n0 + a.cols)});
    }
  }
  return b;
}

TileTiming WeightStationary::tile(const TileGemm& g, ArrayDims a) const {
  CONLOC_ASSERT(g.m > 0 && g.k > 0 && g.n > 0, "pe_array", "empty tile");
  const bool acc = a.acc_entries > 0 && !a.scalesim && !g.acc_bypass;
  if (acc && g.m > a.acc_entries) {
    // M in chunks the accumulators hold, each a tile of its own (weights reloaded per chunk);
    // the layer's first load and last drain stay with the first and last chunk.
    TileTiming sum;
    for (std::int64_t m0 = 0; m0 < g.m; m0 += a.acc_entries) {
      TileGemm c = g;
      c.m = std::min<std::int64_t>(a.acc_entries, g.m - m0);
      c.first_in_layer = g.first_in_layer && m0 == 0;
      c.last_in_layer = g.last_in_layer && m0 + a.acc_entries >= g.m;
      sum += tile(c, a);
    }
    return sum;
  }
  TileTiming t;
  const std::int64_t kf = ceil_div(g.k, a.rows), nf = ceil_div(g.n, a.cols);
  CONLOC_ASSERT(g.fold_steps.empty() || static_cast<std::int64_t>(g.fold_steps.size()) == kf * nf,
                "pe_array", "fold_steps does not match the fold count");
  t.folds = static_cast<std::uint64_t>(kf * nf);
  if (g.first_in_layer && !a.scalesim) {
    t.cycles = static_cast<std::uint64_t>(std::min<std::int64_t>(a.rows, g.k));
  }
  if (g.fold_steps.empty()) {
    // Every step one cycle: kf row folds of each column fold, the columns used summing to N.
    const std::int64_t used_cols = a.scalesim ? nf * a.cols : g.n;
    const std::int64_t per_fold = g.m + a.rows - 2 + (a.scalesim ? a.rows : 0);
    t.cycles += static_cast<std::uint64_t>(kf * (nf * per_fold + used_cols));
  } else {
    std::size_t f = 0;
    for (std::int64_t j = 0; j < nf; ++j) {
      const std::int64_t cu =
          a.scalesim ? a.cols : std::min<std::int64_t>(a.cols, g.n - j * a.cols);
      for (std::int64_t i = 0; i < kf; ++i, ++f) {
        t.cycles += static_cast<std::uint64_t>(g.fold_steps[f] * (g.m + a.rows + cu - 2));
        if (a.scalesim) t.cycles += static_cast<std::uint64_t>(a.rows);  // the fold's weight load
      }
    }
  }
  t.standard_cycles = t.folds * static_cast<std::uint64_t>(g.m + a.rows + a.cols - 2);
  t.fold_slots =
      t.folds * static_cast<std::uint64_t>(a.rows) * a.cols * static_cast<std::uint64_t>(g.m);
  const auto m = static_cast<std::uint64_t>(g.m), k = static_cast<std::uint64_t>(g.k),
             n = static_cast<std::uint64_t>(g.n);
  t.weight_reads = k * n;
  t.input_reads = m * k * static_cast<std::uint64_t>(nf);
  // Every row fold emits partial sums for its M x C_u outputs; all but the very first
  // contribution to an output read the running sum back: from the output buffer, or from the
  // column accumulators when there are any (then the output buffer sees each output once,
  // read first only when an earlier k-chunk left a partial sum there).
  if (acc) {
    t.acc_writes = m * n * static_cast<std::uint64_t>(kf);
    t.acc_reads = m * n * static_cast<std::uint64_t>(kf - 1);
    t.psum_writes = m * n;
    t.psum_reads = g.first_k_chunk ? 0 : m * n;
  } else {
    t.psum_writes = m * n * static_cast<std::uint64_t>(kf);
    t.psum_reads = m * n * static_cast<std::uint64_t>(kf - 1 + (g.first_k_chunk ? 0 : 1));
  }
  t.weight_reg_writes = k * n;
  t.act_reg_writes = m * k * n;
  t.psum_reg_writes = m * k * n;
  apply_port_limits(t, a.ports);
  return t;
}

// The tile formulas above summed axis by axis (each field a product of a function of m, of k and
// of n). Left out, each only ever adding: the layer's first weight load, and the weight reloads
// and fold overheads of accumulator chunks (a chunked tile's sums are the unchunked tile's or
// more).
TileTiming WeightStationary::tiles_floor(const TileGrid& g, ArrayDims a) const {
  if (a.scalesim) return tiles(g, a);
  using D = TileGrid::Dim;
  const std::int64_t rows = a.rows, cols = a.cols;
  auto kf = [&](const D& d) { return ceil_div(d.value, rows); };
  const std::uint64_t cm = axis_sum(g.m, g.nm, [](const D&) { return 1; }),
                      m1 = axis_sum(g.m, g.nm, [](const D&d) { return d.value; }),
                      // m + rows - 2 >= 0: m >= 1, rows >= 1
      m_steps = axis_sum(g.m, g.nm, [&](const D&d) { return d.value + rows - 2; }),
                      ck = axis_sum(g.k, g.nk, [](const D&) { return 1; }),
                      k1 = axis_sum(g.k, g.nk, [](const D&d) { return d.value; }),
                      k_folds = axis_sum(g.k, g.nk, kf),
                      k_later = axis_sum(g.k, g.nk, [](const D&d) { return !d.first_k_chunk; }),
                      n1 = axis_sum(g.n, g.nn, [](const D&d) { return d.value; }),
                      n_folds =
                          axis_sum(g.n, g.nn, [&](const D&d) { return ceil_div(d.value, cols); });
  const std::uint64_t t = g.times;
  TileTiming r;
  r.folds = t * cm * k_folds * n_folds;
  r.cycles = t * k_folds * (n_folds * m_steps + n1 * cm);
  r.weight_reads = r.weight_reg_writes = t * cm * k1 * n1;
  r.input_reads = t * m1 * k1 * n_folds;
  r.act_reg_writes = r.psum_reg_writes = t * m1 * k1 * n1;
  const std::uint64_t outputs = t * m1 * n1;
  if (a.acc_entries > 0 && !g.acc_bypass) {
    r.acc_writes = outputs * k_folds;
    r.acc_reads = outputs * (k_folds - ck);
    r.psum_writes = outputs * ck;
    r.psum_reads = outputs * k_later;
  } else {
    r.psum_writes = outputs * k_folds;
    r.psum_reads = outputs * (k_folds - ck + k_later);
  }
  apply_port_floor(r, a.ports);
  return r;
}

}  // namespace conloc
