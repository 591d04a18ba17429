#include "sim/reference/float_inference.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "modules/common/error.h"
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
    switch (l.type) {
      case LayerType::MaxPool:
      case LayerType::AvgPool:
      case LayerType::GlobalAvgPool: {
        // As the integer model: max over the window without padding; the average divides by the
        // full window (padding counts as zero).
        const bool mx = l.type == LayerType::MaxPool;
        for (int y = 0; y < os.h; ++y) {
          for (int x = 0; x < os.w; ++x) {
            for (int c = 0; c < os.c; ++c) {
              float best = -std::numeric_limits<float>::infinity(), sum = 0.0f;
              for (int r = 0; r < l.kh; ++r) {
                const int iy = y * l.stride_h - l.pad_t + r;
                if (iy < 0 || iy >= is.h) continue;
                for (int s = 0; s < l.kw; ++s) {
                  const int ix = x * l.stride_w - l.pad_l + s;
                  if (ix < 0 || ix >= is.w) continue;
                  const float v = in[(std::int64_t{iy} * is.w + ix) * is.c + c];
                  best = std::max(best, v);
                  sum += v;
                }
              }
              out[(std::int64_t{y} * os.w + x) * os.c + c] =
                  mx ? best : sum / static_cast<float>(l.kh * l.kw);
            }
          }
        }
        break;
      }
      case LayerType::Add: {
        const std::vector<float>& b = t[l.inputs[1]];
        for (std::size_t i = 0; i < out.size(); ++i)
          out[i] = activate(in[i] + b[i], l.act);
        break;
      }
      case LayerType::Mul: {
        const std::vector<float>& b = t[l.inputs[1]];
        const std::size_t c = static_cast<std::size_t>(os.c);
        const bool per_channel = b.size() != in.size();
        for (std::size_t i = 0; i < out.size(); ++i)
          out[i] = in[i] * b[per_channel ? i % c : i];
        break;
      }
      case LayerType::Act:
        for (std::size_t i = 0; i < out.size(); ++i)
          out[i] = static_cast<float>(act_output(l, in[i]));
        break;
      case LayerType::Max: {
        const std::vector<float>& b = t[l.inputs[1]];
        for (std::size_t i = 0; i < out.size(); ++i)
          out[i] = std::max(in[i], b[i]);
        break;
      }
      case LayerType::Concat: {
        int c0 = 0;
        for (int t_in : l.inputs) {
          const std::vector<float>& x = t[t_in];
          const int c = net_.tensors[t_in].c;
          for (std::int64_t p = 0; p < std::int64_t{os.h} * os.w; ++p)
            for (int k = 0; k < c; ++k)
              out[p * os.c + c0 + k] = x[p * c + k];
          c0 += c;
        }
        break;
      }
      case LayerType::Upsample:
      case LayerType::DepthToSpace: {
        const bool d2s = l.type == LayerType::DepthToSpace;
        for (int y = 0; y < os.h; ++y)
          for (int x = 0; x < os.w; ++x)
            for (int c = 0; c < os.c; ++c) {
              const int block = d2s ? ((y % l.scale_h) * l.scale_w + x % l.scale_w) * os.c : 0;
              out[(std::int64_t{y} * os.w + x) * os.c + c] =
                  in[(std::int64_t{y / l.scale_h} * is.w + x / l.scale_w) * is.c + block + c];
            }
        break;
      }
      default:  // ReLU / ReLU6
        for (std::size_t i = 0; i < out.size(); ++i)
          out[i] = activate(in[i], l.act == Activation::None ? Activation::Relu : l.act);
    }
  }
  return t;
}

}  // namespace conloc
