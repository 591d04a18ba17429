#include "sim/workload/weight_source.h"

#include <cmath>

#include "sim/common/rng.h"

namespace conloc {

std::string SyntheticWeights::description() const {
  return "synthetic (Laplace weights, smooth input; seed " + std::to_string(seed_) + ")";
}

FloatLayerParams SyntheticWeights::layer_params(const Network& net, std::size_t layer_index) const {
  const Layer& l = net.layers[layer_index];
  const GemmShape g = net.gemm(l);
  FloatLayerParams p;
  Rng rng(seed_ * 1000003ull + layer_index * 7919ull + 17);
  p.weights.resize(static_cast<std::size_t>(g.k * g.n * g.groups));
  const double b = 1.0 / std::sqrt(static_cast<double>(g.k));
  for (auto& w : p.weights)
    w = static_cast<float>(rng.laplace(b));
  p.bias.resize(static_cast<std::size_t>(l.out_channels));
  for (auto& v : p.bias)
    v = static_cast<float>(0.05 * rng.normal());
  return p;
}

std::vector<float> SyntheticWeights::input(const Network& net) const {
  const TensorShape s = net.tensors[0];
  Rng rng(seed_ * 31ull + 5);
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
