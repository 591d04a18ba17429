#pragma once

#include <vector>

#include "modules/common/network.h"
#include "sim/workload/weight_source.h"

namespace conloc {

// The float reference of a network: what the trained model computes with its float weights and
// real-valued activations (no quantization anywhere). The accuracy table's "float" row, checked
// against the top-1 the training script recorded.
class FloatNetwork {
 public:
  // Reads every PE-array layer's parameters from `source` (NaN or infinity is a UserError naming
  // the layer and index).
  FloatNetwork(const Network& net, const WeightSource& source);

  // The last tensor of the network for one real-valued HWC image.
  std::vector<float> forward(const std::vector<float>& image) const;
  // Every tensor of the network (index = tensor id), for per-tensor comparisons.
  std::vector<std::vector<float>> forward_all(const std::vector<float>& image) const;

  const FloatLayerParams& params(std::size_t layer) const { return params_[layer]; }

 private:
  Network net_;
  std::vector<FloatLayerParams> params_;  // PE-array layers; empty for the others
  std::vector<std::vector<float>> wt_;    // weights per group as [K][N], for a vectorised GEMM
};

}  // namespace conloc
