#pragma once

#include <string>
#include <vector>

#include "sim/workload/weight_source.h"

namespace conloc {

// Trained parameters from NumPy files, in PyTorch layouts (docs/workloads.md):
//   <dir>/<layer>.weight.npy   conv: [out, in/groups, kh, kw];  fc: [out, C*H*W] (CHW flatten)
//   <dir>/<layer>.bias.npy     [out] (optional: zero bias when absent)
// and input images `images` as float32 [N, H, W, C] (or [H, W, C]), already normalised.
// Shapes are checked against the network; a mismatch names the file and the expected shape.
class NpyWeights final : public WeightSource {
 public:
  NpyWeights(std::string dir, std::string images, int image_index);
  std::string description() const override;
  FloatLayerParams layer_params(const Network& net, std::size_t layer_index) const override;
  // Images image_index, image_index + 1, ... of the file for a batch.
  std::vector<float> input(const Network& net, int image = 0) const override;
  // The next image of the file, or the one before where the input is the last; none in a file
  // of one image.
  std::optional<std::vector<float>> held_out_input(const Network& net) const override;

 private:
  std::string dir_, images_;
  int image_index_;
};

}  // namespace conloc
