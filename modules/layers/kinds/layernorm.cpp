// Layer normalisation over each pixel's channels on the vector unit (ConvNeXt's LayerNorm, torch's
// nn.LayerNorm over the last axis of an NHWC view): y_c = (x_c - mean) / sqrt(var + eps), mean
// and biased variance over the pixel's C channels, eps in Layer::alpha. The learned per-channel
// scale and shift are not part of the kind: the importer makes them a 1x1 depthwise conv after it
// (docs/workloads.md).
//
// Integer definition (one function for the vector unit and the integer reference): with input
// codes x_c of scale s, S = sum x_c, d_c = C x_c - S (exactly C (x_c - mean) in codes) and
// V = sum d_c^2 (= C^3 var), the normalised value is d_c sqrt(C) / sqrt(V + E) with
// E = round(C^3 eps / s^2). The vector unit computes R = floor(sqrt((V + E) 2^32)) once per pixel
// and each output code as round(d_c K / R), K = round(sqrt(C) 2^16 / s_out) from calibration.
#include <algorithm>
#include <cmath>

#include "modules/base/error.h"
#include "modules/layers/layer_kind.h"

namespace conloc {

namespace {

using i128 = __int128;
using u128 = unsigned __int128;

// floor(sqrt(v)), digit by digit (what a small sequential unit computes).
std::uint64_t isqrt(u128 v) {
  u128 res = 0, bit = u128{1} << 126;
  while (bit > v)
    bit >>= 2;
  while (bit != 0) {
    if (v >= res + bit) {
      v -= res + bit;
      res = (res >> 1) + bit;
    } else {
      res >>= 1;
    }
    bit >>= 2;
  }
  return static_cast<std::uint64_t>(res);
}

// floor(a / b) for b > 0.
i128 floor_div(i128 a, i128 b) {
  const i128 q = a / b;
  return (a % b != 0 && a < 0) ? q - 1 : q;
}

// One pixel's sum and R (module comment); `x(c)` reads channel c of the pixel.
struct PixelNorm {
  std::int64_t sum = 0;
  std::uint64_t r = 0;
};
template <class X>
PixelNorm pixel_norm(const CompiledLayer& cl, int channels, X&& x) {
  PixelNorm p;
  for (int c = 0; c < channels; ++c)
    p.sum += x(c);
  u128 v = 0;
  for (int c = 0; c < channels; ++c) {
    const std::int64_t d = std::int64_t{channels} * x(c) - p.sum;
    v += static_cast<u128>(static_cast<i128>(d) * d);
  }
  p.r = isqrt((v + static_cast<u128>(cl.norm_eps)) << 32);
  return p;
}

std::int32_t norm_code(const CompiledLayer& cl, const PixelNorm& p, int channels, std::int32_t x) {
  if (p.r == 0) return 0;  // every channel equal and eps rounded to zero: the mean itself
  const i128 d = std::int64_t{channels} * x - p.sum;
  const i128 r = static_cast<i128>(p.r);
  const i128 q = floor_div(2 * d * cl.norm_gain + r, 2 * r);
  return q < cl.out_lo ? cl.out_lo : q > cl.out_hi ? cl.out_hi : static_cast<std::int32_t>(q);
}

// The mean of one pixel's channels and 1 / sqrt(var + eps), in doubles as the float model
// computes them; `x(c)` reads channel c. A normalised value is then (x(c) - mean) * inv.
struct RealNorm {
  double mean = 0, inv = 0;
};
template <class X>
RealNorm real_norm(int channels, double eps, X&& x) {
  RealNorm n;
  for (int c = 0; c < channels; ++c)
    n.mean += x(c);
  n.mean /= channels;
  double var = 0;
  for (int c = 0; c < channels; ++c)
    var += (x(c) - n.mean) * (x(c) - n.mean);
  n.inv = 1.0 / std::sqrt(var / channels + eps);
  return n;
}

}  // namespace

void define_layernorm_kinds(LayerKinds& kinds) {
  LayerKind k;
  k.name = "layernorm";
  k.summary =
      "each pixel's channels normalised to mean 0, variance 1: (x - mean) / sqrt(var + eps)";
  k.channel_blocks = true;  // the statistics read every channel of the pixel
  k.out_signed = [](const Layer&, const std::vector<bool>&) { return true; };
  k.calibrate = [](const KindCalibration& c, CompiledLayer& cl) {
    const Layer& l = c.layer;
    const int ch = c.net.in_shape(l).c;
    CONLOC_ASSERT(ch >= 1 && ch <= (1 << 16), "layernorm", "channels out of range");
    const double s_in = c.in_scale(0);
    // Every image's normalised values, then the output scale that covers them.
    std::vector<std::vector<double>> normed(c.images.size());
    for (std::size_t i = 0; i < c.images.size(); ++i) {
      const IntTensor& t = c.images[i][l.inputs[0]];
      normed[i].resize(t.data.size());
      for (std::size_t p = 0; p < t.data.size(); p += static_cast<std::size_t>(ch)) {
        auto x = [&](int cc) { return s_in * t.data[p + static_cast<std::size_t>(cc)]; };
        const RealNorm n = real_norm(ch, l.alpha, x);
        for (int cc = 0; cc < ch; ++cc)
          normed[i][p + static_cast<std::size_t>(cc)] = (x(cc) - n.mean) * n.inv;
      }
    }
    const double out_scale =
        c.covering(cl.out_hi, [&](const std::vector<IntTensor>& img, std::size_t i) {
          return normed[static_cast<std::size_t>(&img - c.images.data())][i];
        });
    const double cube = static_cast<double>(ch) * ch * ch;
    // Both kept below 2^62 (an extreme scale saturates them rather than overflowing).
    const double top = std::ldexp(1.0, 62);
    cl.norm_eps =
        static_cast<std::int64_t>(std::min(std::round(cube * l.alpha / (s_in * s_in)), top));
    cl.norm_gain = static_cast<std::int64_t>(
        std::min(std::round(std::sqrt(static_cast<double>(ch)) * 65536.0 / out_scale), top));
    return out_scale;
  };
  k.element = [](const Layer&, const CompiledLayer& cl, const TensorShape& out,
                 const IntOperands& in, const ElementSite& s) {
    const PixelNorm p = pixel_norm(cl, out.c, [&](int c) { return in.at(0, s.y, s.x, c); });
    return norm_code(cl, p, out.c, in.at(0, s.y, s.x, s.c));
  };
  k.pixel = [](const Layer&, const CompiledLayer& cl, const TensorShape& out, const IntOperands& in,
               const ElementSite& s, std::int32_t* codes) {
    for (int c = 0; c < out.c; ++c)
      codes[c] = in.at(0, s.y, s.x, c);
    const PixelNorm p = pixel_norm(cl, out.c, [&](int c) { return codes[c]; });
    for (int c = 0; c < out.c; ++c)
      codes[c] = norm_code(cl, p, out.c, codes[c]);
  };
  k.element_float = [](const Layer& l, const TensorShape& out, const FloatOperands& in,
                       const ElementSite& s) {
    auto x = [&](int c) { return static_cast<double>(in.at(0, s.y, s.x, c)); };
    const RealNorm n = real_norm(out.c, l.alpha, x);
    return static_cast<float>((x(s.c) - n.mean) * n.inv);
  };
  // The same function pixel by pixel (the statistics once per pixel, not once per element).
  k.run_reference = [](const Layer& l, const CompiledLayer& cl, const std::vector<IntTensor>& t,
                       IntTensor& out) {
    const IntTensor& in = t[l.inputs[0]];
    const int ch = in.shape.c;
    out.data.resize(in.data.size());
    for (std::size_t p = 0; p < in.data.size(); p += static_cast<std::size_t>(ch)) {
      const std::int16_t* x = &in.data[p];
      const PixelNorm n = pixel_norm(cl, ch, [&](int c) { return std::int32_t{x[c]}; });
      for (int c = 0; c < ch; ++c)
        out.data[p + c] = static_cast<std::int16_t>(norm_code(cl, n, ch, x[c]));
    }
  };
  // Per element: the sum, C x - S, its square and the variance's accumulation (adds and a
  // multiply about 12 bits wider than an activation: C up to 4096), then the scaling multiply by
  // K / R (a 32-bit factor). Per pixel, shared by its C elements: the square root (49 steps of a
  // 98-bit subtract) and the reciprocal of R (32 steps of a 64-bit subtract).
  k.cells = [](const Layer&, const TensorShape& out, std::uint64_t ops, int act_bits) {
    const double elems = static_cast<double>(ops);
    const int w = act_bits + 12;
    CellCounts c = add_cells(w) * (2.0 * elems);
    c += add_cells(2 * w + 12) * elems;
    c += mult_cells(w, w) * elems;
    c += mult_cells(w, 32) * elems;
    const double pixels = elems / std::max(1, out.c);
    c += add_cells(98) * (49.0 * pixels);
    c += add_cells(64) * (32.0 * pixels);
    return c;
  };
  kinds.add(k);
}

}  // namespace conloc
