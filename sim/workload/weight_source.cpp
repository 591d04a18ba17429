#include "sim/workload/weight_source.h"

#include <algorithm>
#include <cmath>

#include "sim/common/rng.h"

namespace conloc {

std::string SyntheticWeights::description() const {
  return "synthetic (Laplace weights, smooth input; seed " + std::to_string(seed_) + ")";
}

FloatLayerParams WeightSource::layer_rows(const Network& net, std::size_t layer_index,
                                          const std::vector<std::int64_t>& rows) const {
  const FloatLayerParams all = layer_params(net, layer_index);
  const std::size_t k = all.weights.size() / std::max<std::size_t>(1, all.bias.size());
  FloatLayerParams p;
  for (std::int64_t r : rows) {
    const auto first = all.weights.begin() + static_cast<std::ptrdiff_t>(r * k);
    p.weights.insert(p.weights.end(), first, first + static_cast<std::ptrdiff_t>(k));
    p.bias.push_back(all.bias[static_cast<std::size_t>(r)]);
  }
  return p;
}

FloatLayerParams SyntheticWeights::layer_params(const Network& net, std::size_t layer_index) const {
  const GemmShape g = net.gemm(net.layers[layer_index]);
  std::vector<std::int64_t> rows(static_cast<std::size_t>(g.n * g.groups));
  for (std::size_t r = 0; r < rows.size(); ++r)
    rows[r] = static_cast<std::int64_t>(r);
  return layer_rows(net, layer_index, rows);
}

FloatLayerParams SyntheticWeights::layer_rows(const Network& net, std::size_t layer_index,
                                              const std::vector<std::int64_t>& rows) const {
  const GemmShape g = net.gemm(net.layers[layer_index]);
  const std::uint64_t layer_seed = seed_ * 1000003ull + layer_index * 7919ull + 17;
  const double b = 1.0 / std::sqrt(static_cast<double>(g.k));
  FloatLayerParams p;
  p.weights.resize(rows.size() * static_cast<std::size_t>(g.k));
  float* w = p.weights.data();
  for (std::int64_t r : rows) {
    Rng rng(layer_seed + (static_cast<std::uint64_t>(r) + 1) * 0xd1b54a32d192ed03ull);
    for (std::int64_t i = 0; i < g.k; ++i)
      *w++ = static_cast<float>(rng.laplace(b));
  }
  // Biases: one stream per layer, so a channel's bias does not depend on which rows are asked.
  Rng bias_rng(layer_seed);
  std::vector<float> bias(static_cast<std::size_t>(g.n * g.groups));
  for (auto& v : bias)
    v = static_cast<float>(0.05 * bias_rng.normal());
  for (std::int64_t r : rows)
    p.bias.push_back(bias[static_cast<std::size_t>(r)]);
  return p;
}

std::vector<float> SyntheticWeights::input(const Network& net, int image) const {
  const TensorShape s = net.tensors[0];
  Rng rng(seed_ * 31ull + 5 + static_cast<std::uint64_t>(image) * 1000003ull);
  std::vector<float> x(static_cast<std::size_t>(s.elements()));
  struct Grating {
    double fy, fx, phase, amp;
  };
  for (int c = 0; c < s.c; ++c) {
    Grating g[4];
    for (auto& gr : g) {
      gr.fy = rng.uniform() * 6.0 / s.h;  // up to 6 cycles across the image
      gr.fx = rng.uniform() * 6.0 / s.w;
      gr.phase = rng.uniform() * 6.283185307179586;
      gr.amp = 0.5 + rng.uniform();
    }
    for (int y = 0; y < s.h; ++y) {
      for (int xx = 0; xx < s.w; ++xx) {
        double v = 0.0;
        for (const auto& gr : g) {
          v += gr.amp * std::cos(6.283185307179586 * (gr.fy * y + gr.fx * xx) + gr.phase);
        }
        x[(static_cast<std::size_t>(y) * s.w + xx) * s.c + c] =
            static_cast<float>(0.5 * v + 0.1 * rng.normal());
      }
    }
  }
  return x;
}

}  // namespace conloc
