#include "modules/arith/level_set_search.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "modules/common/error.h"

namespace conloc {

namespace {

// Integral of (x - c)^2 e^(-x) dx from a to b (0 <= a <= b, b may be +inf): the folded Laplace
// density on |w| is e^(-x), and rounding error is symmetric in the sign.
double sq_err(double a, double b, double c) {
  auto F = [c](double x) {
    if (std::isinf(x)) return 0.0;
    const double d = x - c;
    return -std::exp(-x) * (d * d + 2 * d + 2);
  };
  return F(b) - F(a);
}

}  // namespace

double laplace_mse(const std::vector<std::int32_t>& m, double scale) {
  double prev = 0.0, err = 0.0;
  for (std::int32_t v : m) {
    const double level = scale * v, mid = 0.5 * (prev + level);
    err += sq_err(prev == 0.0 ? 0.0 : prev, mid, prev) + sq_err(mid, level, level);
    prev = level;
  }
  err += sq_err(prev, std::numeric_limits<double>::infinity(), prev);
  return err;
}

LevelSetChoice best_laplace_levels(const std::vector<std::int32_t>& candidates, int count) {
  std::vector<std::int32_t> c;
  for (std::int32_t v : candidates)
    if (v > 0) c.push_back(v);
  std::sort(c.begin(), c.end());
  c.erase(std::unique(c.begin(), c.end()), c.end());
  CONLOC_ASSERT(count >= 1 && static_cast<std::size_t>(count) <= c.size(), "level set search",
                "fewer candidate values than levels");
  const std::size_t n = c.size();
  const double inf = std::numeric_limits<double>::infinity();
  LevelSetChoice best;
  best.mse = inf;
  // The scale grid spans from "the largest candidate at 0.5 sigma" to "the smallest at 12 sigma":
  // every useful placement of the set against the density.
  std::vector<double> cost(n * (static_cast<std::size_t>(count) + 1));
  std::vector<int> from(cost.size());
  std::vector<double> pair(n * n);  // error between neighbouring levels i < j at this scale
  auto at = [count](std::size_t j, int t) { return j * (static_cast<std::size_t>(count) + 1) + t; };
  auto evaluate = [&](double scale) {
    for (std::size_t i = 0; i < n; ++i) {
      for (std::size_t j = i + 1; j < n; ++j) {
        const double p = scale * c[i], l = scale * c[j], mid = 0.5 * (p + l);
        pair[i * n + j] = sq_err(p, mid, p) + sq_err(mid, l, l);
      }
    }
    // cost[at(j, t)]: least error on [0, level j] with t levels, the last being candidate j
    // (zero is always a level).
    std::fill(cost.begin(), cost.end(), inf);
    for (std::size_t j = 0; j < n; ++j) {
      const double l = scale * c[j], mid = 0.5 * l;
      cost[at(j, 1)] = sq_err(0, mid, 0) + sq_err(mid, l, l);
      from[at(j, 1)] = -1;
    }
    for (int t = 2; t <= count; ++t) {
      for (std::size_t j = static_cast<std::size_t>(t) - 1; j < n; ++j) {
        double bestv = inf;
        int besti = -1;
        for (std::size_t i = static_cast<std::size_t>(t) - 2; i < j; ++i) {
          const double v = cost[at(i, t - 1)] + pair[i * n + j];
          if (v < bestv) {
            bestv = v;
            besti = static_cast<int>(i);
          }
        }
        cost[at(j, t)] = bestv;
        from[at(j, t)] = besti;
      }
    }
    double found = inf;
    for (std::size_t j = static_cast<std::size_t>(count) - 1; j < n; ++j) {
      if (cost[at(j, count)] == inf) continue;
      const double l = scale * c[j];
      const double total = cost[at(j, count)] + sq_err(l, inf, l);
      found = std::min(found, total);
      if (total < best.mse) {
        best.mse = total;
        best.scale = scale;
        best.magnitudes.assign(static_cast<std::size_t>(count), 0);
        int k = static_cast<int>(j);
        for (int t = count; t >= 1; --t) {
          best.magnitudes[static_cast<std::size_t>(t) - 1] = c[static_cast<std::size_t>(k)];
          k = from[at(static_cast<std::size_t>(k), t)];
        }
      }
    }
    return found;
  };
  // The scale grid spans from "the largest candidate at 0.5 sigma" to "the smallest at 12 sigma":
  // every useful placement of the set against the density; then a finer grid around the best.
  const double lo = std::log(0.5 / c.back()), hi = std::log(12.0 / c.front());
  const int coarse = 48;
  for (int s = 0; s <= coarse; ++s)
    evaluate(std::exp(lo + (hi - lo) * s / coarse));
  const double step = (hi - lo) / coarse, centre = std::log(best.scale);
  for (int s = -16; s <= 16; ++s)
    evaluate(std::exp(centre + step * s / 16.0));
  best.sqnr_db = 10.0 * std::log10(2.0 / best.mse);
  return best;
}

}  // namespace conloc
