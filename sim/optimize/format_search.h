#pragma once

#include <cstddef>
#include <vector>

namespace conloc {

// The search of `optimize` (docs/optimize.md): one weight format per PE-array layer, each with a
// cost added to the network's (energy, pJ) and an error added to its output (noise power,
// relative to the signal); both additive across layers, the proxy the search trusts until the
// chosen points are verified end to end.
struct LayerOption {
  int format = 0;       // the caller's index of the format (a width, say)
  double error = 0.0;   // added output noise power, relative
  double energy = 0.0;  // added energy (negative: a saving)
};

struct FormatChoice {
  std::vector<int> formats;  // per layer, LayerOption::format
  double error = 0.0;        // sum of the layers' options
  double energy = 0.0;
  int group = 0;  // the caller's label of the option set the choice came from (non_dominated)
};

// The Pareto front of (error, energy) over every way of taking one option per layer, error
// ascending and energy strictly descending: a multiple-choice knapsack solved by merging each
// layer's options into the front of the layers before it and dropping dominated points. When a
// front grows past `cap` points, it keeps `cap` of them evenly spread over the error range (the
// lowest- and highest-error points always kept), so the search stays polynomial on deep networks;
// the front is exact while it fits. An empty layer list gives one empty choice.
std::vector<FormatChoice> pareto_front(const std::vector<std::vector<LayerOption>>& layers,
                                       std::size_t cap);

// `points` without the dominated ones (and without repeats), error ascending, energy strictly
// descending: the union of several fronts as one.
std::vector<FormatChoice> non_dominated(std::vector<FormatChoice> points);

}  // namespace conloc
