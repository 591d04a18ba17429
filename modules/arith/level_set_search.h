#pragma once

#include <cstdint>
#include <functional>
#include <vector>

namespace conloc {

// Chooses the magnitudes of a symmetric level set {0, +-m_1, ..., +-m_count} from a candidate
// set (e.g. the positive LP_BSD(N, k) values) to minimise the expected squared error of
// nearest-level rounding (with the largest level clipping the tail) for Laplace-distributed
// weights at the best scale. Exact for a given scale: the error of nearest-level rounding is a sum
// over neighbouring level pairs, so the best subset is found by dynamic programming over the
// sorted candidates; the scale is searched on a log grid (docs/elp_bsd.md, "Level sets").
struct LevelSetChoice {
  std::vector<std::int32_t> magnitudes;  // ascending, count of them, all > 0
  double scale = 0;                      // Laplace(0, 1) units per level unit at the optimum
  double mse = 0;                        // expected squared error, Laplace(0, 1) units
  double sqnr_db = 0;                    // 10 log10(E[w^2] / mse), E[w^2] = 2
};

// An optional price on the levels: the search minimises the squared error plus `price` x the
// expected `cost` of the level a weight rounds to (e.g. its shift-add terms, so that a set trades
// accuracy for MAC energy; docs/elp_bsd.md). Error units: Laplace(0, 1) (E[w^2] = 2).
struct LevelSearchCost {
  double price = 0.0;
  std::function<double(std::int32_t)> cost;
};

LevelSetChoice best_laplace_levels(const std::vector<std::int32_t>& candidates, int count,
                                   const LevelSearchCost& price = {});

// The same for a measured distribution: `samples` are |w| / (a per-channel normaliser), the
// error is the mean over them instead of the Laplace expectation.
LevelSetChoice best_empirical_levels(std::vector<double> samples,
                                     const std::vector<std::int32_t>& candidates, int count,
                                     const LevelSearchCost& price = {});

// Expected squared error of nearest-level rounding of Laplace(0, 1) weights onto
// {0, +-scale * m} (m ascending, > 0); for tests and the docs.
double laplace_mse(const std::vector<std::int32_t>& magnitudes, double scale);

}  // namespace conloc
