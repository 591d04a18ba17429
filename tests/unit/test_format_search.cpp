// The search `optimize` runs (sim/optimize/format_search.h) against exhaustive enumeration.
#include <gtest/gtest.h>
#include <random>

#include "sim/optimize/format_search.h"

using namespace conloc;

namespace {

// Every way of taking one option per layer, each with its summed error and energy.
std::vector<FormatChoice> enumerate(const std::vector<std::vector<LayerOption>>& layers) {
  std::vector<FormatChoice> all(1);
  for (const auto& options : layers) {
    std::vector<FormatChoice> next;
    for (const FormatChoice& f : all) {
      for (const LayerOption& o : options) {
        FormatChoice c = f;
        c.formats.push_back(o.format);
        c.error += o.error;
        c.energy += o.energy;
        next.push_back(c);
      }
    }
    all = next;
  }
  return all;
}

std::vector<std::vector<LayerOption>> random_layers(std::mt19937& rng, int n, int k) {
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::vector<std::vector<LayerOption>> layers(static_cast<std::size_t>(n));
  for (auto& options : layers) {
    for (int f = 0; f < k; ++f)
      options.push_back({f, f == 0 ? 0.0 : u(rng), f == 0 ? 0.0 : -u(rng)});
  }
  return layers;
}

}  // namespace

// While the front fits its cap it is exact: every point is a real choice with the sums it
// claims, no enumerated choice dominates one of its points, and every enumerated choice is
// dominated by (or equal to) one of them.
TEST(FormatSearch, FrontEqualsExhaustiveEnumeration) {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 20; ++trial) {
    const auto layers = random_layers(rng, 2 + trial % 4, 2 + trial % 3);
    const auto all = enumerate(layers);
    const auto front = pareto_front(layers, 100000);
    ASSERT_FALSE(front.empty());
    for (std::size_t i = 0; i + 1 < front.size(); ++i) {
      EXPECT_LT(front[i].error, front[i + 1].error);
      EXPECT_GT(front[i].energy, front[i + 1].energy);
    }
    for (const FormatChoice& p : front) {
      double error = 0, energy = 0;
      for (std::size_t l = 0; l < layers.size(); ++l) {
        const LayerOption& o = layers[l][static_cast<std::size_t>(p.formats[l])];
        error += o.error;
        energy += o.energy;
      }
      EXPECT_DOUBLE_EQ(p.error, error);
      EXPECT_DOUBLE_EQ(p.energy, energy);
      for (const FormatChoice& c : all) {
        const bool dominates = c.error <= p.error && c.energy <= p.energy &&
                               (c.error < p.error - 1e-12 || c.energy < p.energy - 1e-12);
        EXPECT_FALSE(dominates) << "trial " << trial;
      }
    }
    for (const FormatChoice& c : all) {
      bool covered = false;
      for (const FormatChoice& p : front)
        covered = covered || (p.error <= c.error + 1e-12 && p.energy <= c.energy + 1e-12);
      EXPECT_TRUE(covered) << "trial " << trial;
    }
  }
}

// Past its cap the front keeps both ends (the all-first-option choice and the cheapest one) and
// at most `cap` points, each still a non-dominated real choice.
TEST(FormatSearch, CappedFrontKeepsItsEnds) {
  std::mt19937 rng(11);
  const auto layers = random_layers(rng, 12, 4);
  const auto exact = pareto_front(layers, 1000000);
  const auto capped = pareto_front(layers, 16);
  ASSERT_GT(exact.size(), 16u);
  EXPECT_LE(capped.size(), 16u);
  EXPECT_EQ(capped.front().formats, exact.front().formats);
  EXPECT_DOUBLE_EQ(capped.back().energy, exact.back().energy);
  for (std::size_t i = 0; i + 1 < capped.size(); ++i)
    EXPECT_GT(capped[i].energy, capped[i + 1].energy);
}
