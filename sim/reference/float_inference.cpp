#include "sim/reference/float_inference.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "modules/base/error.h"
#include "modules/layers/layer_kind.h"
#include "sim/reference/reference_ops.h"

namespace conloc {

FloatNetwork::FloatNetwork(const Network& net, const WeightSource& source)
    : net_(net), params_(net.layers.size()), wt_(net.layers.size()) {
  for (std::size_t i = 0; i < net.layers.size(); ++i) {
    const Layer& l = net.layers[i];
    if (!l.on_pe_array()) continue;
    params_[i] = source.layer_params(net, i);
    const GemmShape g = net.gemm(l);
    const auto& w = params_[i].weights;
    CONLOC_ASSERT(static_cast<std::int64_t>(w.size()) == g.groups * g.n * g.k, "float reference",
                  "wrong weight count for " + l.name);
    for (std::size_t j = 0; j < w.size(); ++j) {
      if (!std::isfinite(w[j])) {
        throw UserError(field_error(net.name + ": layer " + l.name,
                                    "weights[" + std::to_string(j) + "]", "not finite", "",
                                    "a finite number"));
      }
    }
    auto& t = wt_[i];
    t.resize(w.size());
    for (std::int64_t grp = 0; grp < g.groups; ++grp) {
      const float* src = w.data() + grp * g.n * g.k;
      float* dst = t.data() + grp * g.n * g.k;
      for (std::int64_t n = 0; n < g.n; ++n) {
        for (std::int64_t k = 0; k < g.k; ++k)
          dst[k * g.n + n] = src[n * g.k + k];
      }
    }
  }
}

namespace {

float activate(float v, Activation a) {
  if (a == Activation::None) return v;
  v = std::max(v, 0.0f);
  return a == Activation::Relu6 ? std::min(v, 6.0f) : v;
}

// A layer's inputs as the float model holds them: whole tensors, HWC.
class VectorOperands final : public FloatOperands {
 public:
  VectorOperands(const Layer& l, const Network& net, const std::vector<std::vector<float>>& t)
      : l_(l), net_(net), t_(t) {}
  float at(int k, int y, int x, int c) const override {
    const TensorShape& s = net_.tensors[l_.inputs[k]];
    const std::vector<float>& in = t_[l_.inputs[k]];
    if (s.h == 1 && s.w == 1) return in[c];  // one value per channel: broadcast
    return in[(static_cast<std::size_t>(y) * s.w + x) * s.c + c];
  }
  TensorShape shape(int k) const override { return net_.tensors[l_.inputs[k]]; }

 private:
  const Layer& l_;
  const Network& net_;
  const std::vector<std::vector<float>>& t_;
};

}  // namespace

std::vector<float> FloatNetwork::forward(const std::vector<float>& image) const {
  return std::move(forward_all(image).back());
}

std::vector<std::vector<float>> FloatNetwork::forward_all(const std::vector<float>& image) const {
  std::vector<std::vector<float>> t(net_.tensors.size());
  CONLOC_ASSERT(static_cast<std::int64_t>(image.size()) == net_.tensors[0].elements(),
                "float reference", "input size differs from the network input");
  t[0] = image;
  std::vector<float> row, acc;
  for (std::size_t li = 0; li < net_.layers.size(); ++li) {
    const Layer& l = net_.layers[li];
    const TensorShape& is = net_.tensors[l.inputs[0]];
    const TensorShape os = net_.out_shape(l);
    const std::vector<float>& in = t[l.inputs[0]];
    std::vector<float>& out = t[l.output];
    out.assign(static_cast<std::size_t>(os.elements()), 0.0f);
    if (l.on_pe_array()) {
      const GemmShape g = net_.gemm(l);
      const FloatLayerParams& p = params_[li];
      row.resize(static_cast<std::size_t>(g.k));
      acc.resize(static_cast<std::size_t>(g.n));
      for (int grp = 0; grp < g.groups; ++grp) {
        const float* wt = wt_[li].data() + grp * g.n * g.k;
        for (std::int64_t m = 0; m < g.m; ++m) {
          im2col_row_of(in.data(), is, l, grp, m, row.data());
          std::fill(acc.begin(), acc.end(), 0.0f);
          for (std::int64_t k = 0; k < g.k; ++k) {
            const float a = row[k];
            if (a == 0.0f) continue;
            const float* w = wt + k * g.n;
            for (std::int64_t n = 0; n < g.n; ++n)
              acc[n] += a * w[n];
          }
          for (std::int64_t n = 0; n < g.n; ++n) {
            const std::int64_t c = grp * g.n + n;
            out[m * os.c + c] = activate(acc[n] + p.bias[c], l.act);
          }
        }
      }
      continue;
    }
    // A vector layer: its kind's element function on every output element (a kind with one
    // part per input fills each input's channels of the output in turn).
    const LayerKind& kind = layer_kind(l.type);
    const VectorOperands ops(l, net_, t);
    const int parts = kind.part_per_input ? static_cast<int>(l.inputs.size()) : 1;
    int c0 = 0;
    for (int part = 0; part < parts; ++part) {
      const int channels = kind.part_per_input ? net_.tensors[l.inputs[part]].c : os.c;
      for (int y = 0; y < os.h; ++y)
        for (int x = 0; x < os.w; ++x)
          for (int c = 0; c < channels; ++c)
            out[(std::int64_t{y} * os.w + x) * os.c + c0 + c] =
                kind.element_float(l, os, ops, {y, x, c, part});
      c0 += channels;
    }
  }
  return t;
}

}  // namespace conloc
