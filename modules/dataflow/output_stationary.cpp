#include <algorithm>

#include "modules/base/error.h"
#include "modules/dataflow/dataflow_model.h"

namespace conloc {

// Output-stationary (docs/timing.md): M on rows, N on columns, K streams through. Folds: for each
// row fold i, for each column fold j. Inputs enter row r skewed by r and move right; weights enter
// column c skewed by c and move down; PE(r, c) accumulates its output in place, so a fold takes
// T + R_u(i) + C_u(j) - 2 array steps (T = K). Results drain down the columns into the output
// buffer while the next fold computes (double-buffered accumulators), so only the last fold's
// drain (R_u rows) is exposed.
std::vector<DataflowModel::FoldBlock> OutputStationary::fold_blocks(std::int64_t m, std::int64_t k,
                                                                    std::int64_t n,
                                                                    ArrayDims a) const {
  std::vector<FoldBlock> b;
  for (std::int64_t m0 = 0; m0 < m; m0 += a.rows) {
    for (std::int64_t n0 = 0; n0 < n; n0 += a.cols) {
      b.push_back({0, k, n0, std::min(n, n0 + a.cols)});
    }
  }
  return b;
}

TileTiming OutputStationary::tile(const TileGemm& g, ArrayDims a) const {
  CONLOC_ASSERT(g.m > 0 && g.k > 0 && g.n > 0, "pe_array", "empty tile");
  TileTiming t;
  const std::int64_t mf = ceil_div(g.m, a.rows), nf = ceil_div(g.n, a.cols);
  CONLOC_ASSERT(g.fold_steps.empty() || static_cast<std::int64_t>(g.fold_steps.size()) == mf * nf,
                "pe_array", "fold_steps does not match the fold count");
  t.folds = static_cast<std::uint64_t>(mf * nf);
  const std::int64_t last_ru = a.scalesim ? a.rows : g.m - (mf - 1) * a.rows;
  if (g.fold_steps.empty()) {
    // Every step one cycle: the rows used over the row folds sum to M, the columns to N.
    const std::int64_t used_rows = a.scalesim ? mf * a.rows : g.m;
    const std::int64_t used_cols = a.scalesim ? nf * a.cols : g.n;
    t.cycles = static_cast<std::uint64_t>(mf * nf * (g.k - 2) + nf * used_rows + mf * used_cols);
  } else {
    std::size_t f = 0;
    for (std::int64_t i = 0; i < mf; ++i) {
      const std::int64_t ru =
          a.scalesim ? a.rows : std::min<std::int64_t>(a.rows, g.m - i * a.rows);
      for (std::int64_t j = 0; j < nf; ++j, ++f) {
        const std::int64_t cu =
            a.scalesim ? a.cols : std::min<std::int64_t>(a.cols, g.n - j * a.cols);
        t.cycles += static_cast<std::uint64_t>(g.fold_steps[f] * (g.k + ru + cu - 2));
      }
    }
  }
  if (g.last_in_layer && !a.scalesim) t.cycles += static_cast<std::uint64_t>(last_ru);
  t.standard_cycles = t.folds * static_cast<std::uint64_t>(g.k + a.rows + a.cols - 2);
  t.fold_slots =
      t.folds * static_cast<std::uint64_t>(a.rows) * a.cols * static_cast<std::uint64_t>(g.k);
  const auto m = static_cast<std::uint64_t>(g.m), k = static_cast<std::uint64_t>(g.k),
             n = static_cast<std::uint64_t>(g.n);
  t.weight_reads = k * n * static_cast<std::uint64_t>(mf);
  t.input_reads = m * k * static_cast<std::uint64_t>(nf);
  t.psum_writes = m * n;
  t.psum_reads = g.first_k_chunk ? 0 : m * n;
  t.weight_reg_writes = m * k * n;
  t.act_reg_writes = m * k * n;
  t.psum_reg_writes = m * k * n;
  apply_port_limits(t, a.ports);
  return t;
}

// The tile formula above summed axis by axis (each field a product of a function of m, of k and
// of n). Left out, only ever adding: the layer's last drain.
TileTiming OutputStationary::tiles_floor(const TileGrid& g, ArrayDims a) const {
  if (a.scalesim) return tiles(g, a);
  using D = TileGrid::Dim;
  const std::int64_t rows = a.rows, cols = a.cols;
  auto one = [](const D&) { return 1; };
  auto value = [](const D& d) { return d.value; };
  const std::uint64_t m1 = axis_sum(g.m, g.nm, value),
                      m_folds =
                          axis_sum(g.m, g.nm, [&](const D&d) { return ceil_div(d.value, rows); }),
                      ck = axis_sum(g.k, g.nk, one), k1 = axis_sum(g.k, g.nk, value),
                      k_later = axis_sum(g.k, g.nk, [](const D&d) { return !d.first_k_chunk; }),
                      n1 = axis_sum(g.n, g.nn, value),
                      n_folds =
                          axis_sum(g.n, g.nn, [&](const D&d) { return ceil_div(d.value, cols); });
  const std::uint64_t t = g.times;
  TileTiming r;
  r.folds = t * m_folds * n_folds * ck;
  // mf nf (k - 2) + nf m + mf n per tile, at least 0 (m >= mf, n >= nf); k - 2 may be negative.
  const auto s = [](std::uint64_t v) { return static_cast<std::int64_t>(v); };
  r.cycles = t * static_cast<std::uint64_t>(s(m_folds * n_folds) * (s(k1) - 2 * s(ck)) +
                                            s(n_folds * m1 * ck) + s(m_folds * n1 * ck));
  r.weight_reads = t * k1 * n1 * m_folds;
  r.input_reads = t * m1 * k1 * n_folds;
  r.psum_writes = t * m1 * n1 * ck;
  r.psum_reads = t * m1 * n1 * k_later;
  r.weight_reg_writes = r.act_reg_writes = r.psum_reg_writes = t * m1 * k1 * n1;
  apply_port_floor(r, a.ports);
  return r;
}

}  // namespace conloc
