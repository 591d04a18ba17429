#include "sim/workload/npy_weights.h"

#include <cmath>
#include <filesystem>

#include "modules/base/error.h"
#include "sim/workload/npy.h"

namespace conloc {

namespace {

void expect_shape(const std::string& file, const NpyArray& a, const std::vector<std::int64_t>& want,
                  const std::string& what) {
  if (a.shape != want) {
    throw UserError(
        field_error(file, "shape", "does not match " + what, dims_text(a.shape), dims_text(want)));
  }
}

}  // namespace

NpyWeights::NpyWeights(std::string dir, std::string images, int image_index)
    : dir_(std::move(dir)), images_(std::move(images)), image_index_(image_index) {}

namespace {

// A NaN or infinity anywhere in a file is an error naming the file and the element's index in
// the file's own shape (e.g. PyTorch's [out, in, kh, kw]), not the accelerator's order.
void require_finite(const std::string& file, const NpyArray& a) {
  for (std::size_t i = 0; i < a.data.size(); ++i) {
    if (std::isfinite(a.data[i])) continue;
    std::string idx;
    std::size_t rest = i;
    for (std::size_t d = a.shape.size(); d-- > 0;) {
      const auto dim = static_cast<std::size_t>(a.shape[d]);
      idx = std::to_string(rest % dim) + (idx.empty() ? "" : ", ") + idx;
      rest /= dim;
    }
    throw UserError(field_error(file, "[" + idx + "]",
                                std::isnan(a.data[i]) ? "value is NaN" : "value is infinite", "",
                                "a finite number"));
  }
}

}  // namespace

std::string NpyWeights::description() const {
  return "trained weights from " + dir_ + "; input image " + std::to_string(image_index_) + " of " +
         images_;
}

FloatLayerParams NpyWeights::layer_params(const Network& net, std::size_t li) const {
  const Layer& l = net.layers[li];
  const TensorShape in = net.in_shape(l);
  const GemmShape g = net.gemm(l);
  const int cin_g = in.c / l.groups;
  const std::string wfile = dir_ + "/" + l.name + ".weight.npy";
  const NpyArray w = read_npy(wfile);
  require_finite(wfile, w);
  FloatLayerParams p;
  p.weights.resize(static_cast<std::size_t>(g.k * g.n * g.groups));
  const std::int64_t cout = l.out_channels;
  if (l.type == LayerType::Conv) {
    expect_shape(wfile, w, {cout, cin_g, l.kh, l.kw},
                 "conv layer " + l.name + " [out, in/groups, kh, kw]");
    for (std::int64_t o = 0; o < cout; ++o) {
      for (int ci = 0; ci < cin_g; ++ci) {
        for (int r = 0; r < l.kh; ++r) {
          for (int s = 0; s < l.kw; ++s) {
            p.weights[o * g.k + (std::int64_t{r} * l.kw + s) * cin_g + ci] =
                w.data[((o * cin_g + ci) * l.kh + r) * l.kw + s];
          }
        }
      }
    }
  } else {
    // PyTorch flattens CHW; the accelerator's K order for a whole-input kernel is (h, w, c).
    expect_shape(wfile, w, {cout, std::int64_t{in.c} * in.h * in.w},
                 "fully-connected layer " + l.name + " [out, C*H*W]");
    for (std::int64_t o = 0; o < cout; ++o) {
      for (int c = 0; c < in.c; ++c) {
        for (int h = 0; h < in.h; ++h) {
          for (int x = 0; x < in.w; ++x) {
            p.weights[o * g.k + (std::int64_t{h} * in.w + x) * in.c + c] =
                w.data[o * g.k + (std::int64_t{c} * in.h + h) * in.w + x];
          }
        }
      }
    }
  }
  const std::string bfile = dir_ + "/" + l.name + ".bias.npy";
  p.bias.assign(static_cast<std::size_t>(cout), 0.0f);
  if (std::filesystem::exists(bfile)) {
    const NpyArray b = read_npy(bfile);
    expect_shape(bfile, b, {cout}, "the output channels of layer " + l.name);
    require_finite(bfile, b);
    p.bias = b.data;
  }
  return p;
}

std::optional<std::vector<float>> NpyWeights::held_out_input(const Network& net) const {
  const NpyArray a = read_npy(images_);
  const std::int64_t n = a.shape.size() == 4 ? a.shape[0] : 1;
  if (image_index_ + 1 < n) return input(net, 1);
  if (image_index_ >= 1) return input(net, -1);
  return std::nullopt;
}

std::vector<float> NpyWeights::input(const Network& net, int image) const {
  const std::int64_t index = image_index_ + image;
  const NpyArray a = read_npy(images_);
  const TensorShape s = net.tensors[0];
  const std::vector<std::int64_t> one = {s.h, s.w, s.c};
  std::int64_t n = 1;
  if (a.shape.size() == 4) {
    n = a.shape[0];
    expect_shape(images_, a, {n, s.h, s.w, s.c}, "the network input [N, H, W, C]");
  } else {
    expect_shape(images_, a, one, "the network input [H, W, C]");
  }
  if (index < 0 || index >= n) {
    throw UserError(field_error(
        images_, "image index", "out of range",
        std::to_string(index) +
            (image > 0 ? " (image " + std::to_string(image) + " of the batch from --image " +
                             std::to_string(image_index_) + ")"
                       : ""),
        "0.." + std::to_string(n - 1)));
  }
  require_finite(images_, a);
  const std::size_t size = static_cast<std::size_t>(s.elements());
  return std::vector<float>(a.data.begin() + static_cast<std::ptrdiff_t>(index * size),
                            a.data.begin() + static_cast<std::ptrdiff_t>((index + 1) * size));
}

}  // namespace conloc
