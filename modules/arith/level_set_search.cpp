#include "modules/arith/level_set_search.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "modules/base/error.h"

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

namespace {

// The dynamic programme over sorted candidates c for a distribution given by `err(a, b, l)`: the
// error of the values in [a, b) rounded to l, and `mass(a, b)`: their probability. The objective
// is the error plus `price` x the expected cost of the level each value rounds to
// (LevelSearchCost; zero costs nothing). `hi` is the largest value of interest (the scale grid
// places the candidates against it). Returns the set with `mse` the error alone.
template <class Err, class Mass>
LevelSetChoice search(const std::vector<std::int32_t>& candidates, int count, double lo_x,
                      double hi_x, const Err& err, const Mass& mass, const LevelSearchCost& price) {
  std::vector<std::int32_t> c;
  for (std::int32_t v : candidates)
    if (v > 0) c.push_back(v);
  std::sort(c.begin(), c.end());
  c.erase(std::unique(c.begin(), c.end()), c.end());
  std::vector<double> unit(c.size(), 0.0);  // each candidate's cost x price
  if (price.price > 0) {
    for (std::size_t i = 0; i < c.size(); ++i)
      unit[i] = price.price * price.cost(c[i]);
  }
  auto charge = [&](double a, double b, std::size_t i) {
    return unit[i] == 0.0 ? 0.0 : unit[i] * mass(a, b);
  };
  CONLOC_ASSERT(count >= 1 && static_cast<std::size_t>(count) <= c.size(), "level set search",
                "fewer candidate values than levels");
  const std::size_t n = c.size();
  const double inf = std::numeric_limits<double>::infinity();
  LevelSetChoice best;
  best.mse = inf;
  std::vector<double> cost(n * (static_cast<std::size_t>(count) + 1));
  std::vector<int> from(cost.size());
  std::vector<double> pair(n * n);  // error between neighbouring levels i < j at this scale
  auto at = [count](std::size_t j, int t) { return j * (static_cast<std::size_t>(count) + 1) + t; };
  // A set skips n - count candidates in all: level t can only be candidate j with
  // t - 1 <= j <= n - count + t - 1, so neighbouring levels are at most n - count + 1 apart. The
  // programme visits those states only (an 8-bit set, 127 of 142 candidates: 16 states per level,
  // not 142).
  const std::size_t slack = n - static_cast<std::size_t>(count);
  auto evaluate = [&](double scale) {
    for (std::size_t i = 0; i < n; ++i) {
      for (std::size_t j = i + 1; j < n && j <= i + slack + 1; ++j) {
        const double p = scale * c[i], l = scale * c[j], mid = 0.5 * (p + l);
        pair[i * n + j] = err(p, mid, p) + err(mid, l, l) + charge(p, mid, i) + charge(mid, l, j);
      }
    }
    // cost[at(j, t)]: least error on [0, level j] with t levels, the last being candidate j
    // (zero is always a level).
    std::fill(cost.begin(), cost.end(), inf);
    for (std::size_t j = 0; j <= slack; ++j) {
      const double l = scale * c[j], mid = 0.5 * l;
      cost[at(j, 1)] = err(0, mid, 0) + err(mid, l, l) + charge(mid, l, j);
      from[at(j, 1)] = -1;
    }
    for (int t = 2; t <= count; ++t) {
      for (std::size_t j = static_cast<std::size_t>(t) - 1; j <= slack + t - 1; ++j) {
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
    for (std::size_t j = static_cast<std::size_t>(count) - 1; j < n; ++j) {
      if (cost[at(j, count)] == inf) continue;
      const double l = scale * c[j];
      const double total = cost[at(j, count)] + err(l, inf, l) + charge(l, inf, j);
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
  };
  // The scale grid spans from "the largest candidate at lo_x" to "the smallest at hi_x": every
  // useful placement of the set against the distribution; then a finer grid around the best.
  const double lo = std::log(lo_x / c.back()), hi = std::log(hi_x / c.front());
  const int coarse = 48;
  for (int s = 0; s <= coarse; ++s)
    evaluate(std::exp(lo + (hi - lo) * s / coarse));
  const double step = (hi - lo) / coarse, centre = std::log(best.scale);
  for (int s = -16; s <= 16; ++s)
    evaluate(std::exp(centre + step * s / 16.0));
  // Report the squared error alone (the objective above includes the price).
  double prev = 0.0, e = 0.0;
  for (std::int32_t v : best.magnitudes) {
    const double l = best.scale * v, mid = 0.5 * (prev + l);
    e += err(prev, mid, prev) + err(mid, l, l);
    prev = l;
  }
  best.mse = e + err(prev, inf, prev);
  return best;
}

}  // namespace

LevelSetChoice best_laplace_levels(const std::vector<std::int32_t>& candidates, int count,
                                   const LevelSearchCost& price) {
  auto mass = [](double a, double b) {
    return std::exp(-a) - (std::isinf(b) ? 0.0 : std::exp(-b));
  };
  LevelSetChoice best = search(candidates, count, 0.5, 12.0, sq_err, mass, price);
  best.sqnr_db = 10.0 * std::log10(2.0 / best.mse);
  return best;
}

LevelSetChoice best_empirical_levels(std::vector<double> samples,
                                     const std::vector<std::int32_t>& candidates, int count,
                                     const LevelSearchCost& price) {
  CONLOC_ASSERT(!samples.empty(), "level set search", "no samples");
  for (auto& v : samples)
    v = std::abs(v);
  std::sort(samples.begin(), samples.end());
  // Prefix sums of 1, x, x^2 over the sorted samples: the error of the values in [a, b) rounded
  // to l is S2 - 2 l S1 + l^2 S0 over that range.
  const std::size_t n = samples.size();
  std::vector<double> s1(n + 1, 0.0), s2(n + 1, 0.0);
  for (std::size_t i = 0; i < n; ++i) {
    s1[i + 1] = s1[i] + samples[i];
    s2[i + 1] = s2[i] + samples[i] * samples[i];
  }
  auto index = [&](double x) {
    return static_cast<std::size_t>(std::lower_bound(samples.begin(), samples.end(), x) -
                                    samples.begin());
  };
  auto err = [&](double a, double b, double l) {
    const std::size_t i = index(a), j = std::isinf(b) ? n : index(b);
    if (j <= i) return 0.0;
    const double k = static_cast<double>(j - i);
    return (s2[j] - s2[i]) - 2 * l * (s1[j] - s1[i]) + l * l * k;
  };
  const double rms = std::sqrt(s2[n] / static_cast<double>(n));
  const double top = std::max(samples.back(), 1e-30);
  // Price per value in the same units as the error: per sample, scaled like the squared error
  // (the mean square of the normalised samples stands in for Laplace's 2).
  const double ms = s2[n] / static_cast<double>(n);
  auto mass = [&](double a, double b) {
    const std::size_t i = index(a), j = std::isinf(b) ? n : index(b);
    return j <= i ? 0.0 : static_cast<double>(j - i) * ms / 2.0;
  };
  LevelSetChoice best = search(candidates, count, 0.25 * rms, top, err, mass, price);
  best.mse /= static_cast<double>(n);
  best.sqnr_db = 10.0 * std::log10((s2[n] / static_cast<double>(n)) / best.mse);
  return best;
}

}  // namespace conloc
