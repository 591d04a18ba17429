#include "sim/optimize/format_search.h"

#include <algorithm>

#include "modules/base/error.h"

namespace conloc {

std::vector<FormatChoice> non_dominated(std::vector<FormatChoice> points) {
  std::sort(points.begin(), points.end(), [](const FormatChoice& a, const FormatChoice& b) {
    return a.error != b.error ? a.error < b.error : a.energy < b.energy;
  });
  std::vector<FormatChoice> out;
  for (auto& p : points) {
    if (out.empty() || p.energy < out.back().energy) out.push_back(std::move(p));
  }
  return out;
}

namespace {

// At most `cap` points of a front, spread evenly over its error range.
std::vector<FormatChoice> thin(std::vector<FormatChoice> front, std::size_t cap) {
  if (front.size() <= cap) return front;
  std::vector<FormatChoice> out;
  const double lo = front.front().error, hi = front.back().error;
  std::size_t next = 0;
  for (std::size_t k = 0; k + 1 < cap; ++k) {
    // The first point at or past the k-th of cap evenly spaced errors, each taken once; the
    // last is the front's own last point.
    const double target = lo + (hi - lo) * static_cast<double>(k) / static_cast<double>(cap - 1);
    while (next + 1 < front.size() && front[next].error < target)
      ++next;
    if (out.empty() || out.back().formats != front[next].formats) out.push_back(front[next]);
  }
  if (out.back().formats != front.back().formats) out.push_back(front.back());
  return out;
}

}  // namespace

std::vector<FormatChoice> pareto_front(const std::vector<std::vector<LayerOption>>& layers,
                                       std::size_t cap) {
  CONLOC_ASSERT(cap >= 2, "pareto_front", "a front needs room for its two ends");
  std::vector<FormatChoice> front(1);
  for (const auto& options : layers) {
    CONLOC_ASSERT(!options.empty(), "pareto_front", "a layer without options");
    std::vector<FormatChoice> next;
    next.reserve(front.size() * options.size());
    for (const FormatChoice& f : front) {
      for (const LayerOption& o : options) {
        FormatChoice c = f;
        c.formats.push_back(o.format);
        c.error += o.error;
        c.energy += o.energy;
        next.push_back(std::move(c));
      }
    }
    front = thin(non_dominated(std::move(next)), cap);
  }
  return front;
}

}  // namespace conloc
