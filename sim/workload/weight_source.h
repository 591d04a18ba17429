#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "modules/common/network.h"

namespace conloc {

// Float parameters of one PE-array layer: weights [G][N][K] with k = (r * kw + s) * cin_g + ci
// (the GEMM order the accelerator uses), and one bias per output channel.
struct FloatLayerParams {
  std::vector<float> weights;
  std::vector<float> bias;
};

// Where float weights and the input image come from.
class WeightSource {
 public:
  virtual ~WeightSource() = default;
  virtual std::string description() const = 0;
  virtual FloatLayerParams layer_params(const Network& net, std::size_t layer_index) const = 0;
  // Only the output channels `rows` (ascending indices into [G*N]), in that order: weights
  // [rows.size()][K], bias [rows.size()]. Equal to the same rows of layer_params. The default
  // reads the whole layer and picks the rows.
  virtual FloatLayerParams layer_rows(const Network& net, std::size_t layer_index,
                                      const std::vector<std::int64_t>& rows) const;
  // True when layer_rows costs only the rows asked for. Timing-only compiles then quantize a
  // sample of channels (docs/timing.md); otherwise they read, check and quantize every weight.
  virtual bool samples_cheaply() const { return false; }
  // Input `image` of a batch (workload.batch) as real values, HWC; image 0 is the run's input.
  // Every image of a batch differs, so a model that mixed them up would be caught.
  virtual std::vector<float> input(const Network& net, int image = 0) const = 0;
  // An input other than image 0, which a compile calibrated on image 0 measures its output
  // SQNR on out of sample; none where the source has no other. Default: image 1.
  virtual std::optional<std::vector<float>> held_out_input(const Network& net) const {
    return input(net, 1);
  }
};

// Seeded synthetic parameters for shape-only networks (docs/workloads.md):
//  - weights ~ Laplace(0, b), b = 1/sqrt(fan_in), i.e. standard deviation sqrt(2/fan_in) (He);
//    heavy-tailed and zero-centred like trained convolution weights;
//  - bias ~ Normal(0, 0.05^2);
//  - input: a smooth image (per channel, a sum of 4 random low-frequency cosine gratings) plus
//    Normal(0, 0.1^2) pixel noise, so neighbouring activations are correlated as in real images.
// Each output channel's weights draw from their own stream (seed, layer, channel), and each layer's
// biases from another, so a sample of channels is generated without the rest.
class SyntheticWeights final : public WeightSource {
 public:
  explicit SyntheticWeights(std::uint64_t seed) : seed_(seed) {}
  std::string description() const override;
  FloatLayerParams layer_params(const Network& net, std::size_t layer_index) const override;
  FloatLayerParams layer_rows(const Network& net, std::size_t layer_index,
                              const std::vector<std::int64_t>& rows) const override;
  bool samples_cheaply() const override { return true; }
  std::vector<float> input(const Network& net, int image = 0) const override;

 private:
  std::uint64_t seed_;
};

}  // namespace conloc
