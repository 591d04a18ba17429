// Resampling on the vector unit: nearest-neighbour upsampling and depth-to-space (a transposed
// convolution whose kernel equals its stride is a 1x1 convolution followed by this), where
// nothing is computed and the cost is the memory traffic; and bilinear resampling to any size
// (the segmentation models' final upsampling), which weighs four input pixels per output.
#include <algorithm>

#include "modules/arith/requant.h"
#include "modules/layers/layer_kind.h"

namespace conloc {

namespace {

// Fraction bits of the bilinear weights: one level of an 8-bit activation is 1/256 of the
// range, so 10 bits keep the weights' rounding a fraction of a level.
constexpr int kInterpBits = 10;

// Output (y, x, c) of depth-to-space reads input (y / sh, x / sw, block * C + c) for C output
// channels, block = (y % sh) * sw + x % sw.
int block_channel(const Layer& l, const TensorShape& out, const ElementSite& s) {
  return ((s.y % l.scale_h) * l.scale_w + s.x % l.scale_w) * out.c + s.c;
}

LayerKind resample(LayerType type, const char* name, const char* summary) {
  LayerKind k;
  k.type = type;
  k.name = name;
  k.summary = summary;
  k.rows = RowReach::Scale;
  k.out_signed = [](const Layer&, const std::vector<bool>& s) { return bool{s[0]}; };
  k.cells = [](const Layer&, const TensorShape&, std::uint64_t, int) { return CellCounts{}; };
  return k;
}

}  // namespace

void define_resample_kinds(LayerKinds& kinds) {
  LayerKind up =
      resample(LayerType::Upsample, "upsample", "nearest-neighbour upsampling by integer factors");
  up.element = [](const Layer& l, const CompiledLayer&, const TensorShape&, const IntOperands& in,
                  const ElementSite& s) { return in.at(0, s.y / l.scale_h, s.x / l.scale_w, s.c); };
  up.element_float = [](const Layer& l, const TensorShape&, const FloatOperands& in,
                        const ElementSite& s) {
    return in.at(0, s.y / l.scale_h, s.x / l.scale_w, s.c);
  };
  up.run_reference = [](const Layer& l, const CompiledLayer&, const std::vector<IntTensor>& t,
                        IntTensor& out) {
    const IntTensor& in = t[l.inputs[0]];
    const TensorShape& s = in.shape;
    out.data.resize(static_cast<std::size_t>(out.shape.elements()));
    for (int y = 0; y < out.shape.h; ++y)
      for (int x = 0; x < out.shape.w; ++x) {
        const std::int16_t* src =
            in.data.data() + (std::int64_t{y / l.scale_h} * s.w + x / l.scale_w) * s.c;
        std::copy(src, src + s.c, out.data.data() + (std::int64_t{y} * out.shape.w + x) * s.c);
      }
  };
  kinds.add(up);

  LayerKind d2s = resample(LayerType::DepthToSpace, "depth_to_space",
                           "channel blocks moved to pixels (a transposed conv's second half)");
  d2s.channel_blocks = true;
  d2s.element = [](const Layer& l, const CompiledLayer&, const TensorShape& out,
                   const IntOperands& in, const ElementSite& s) {
    return in.at(0, s.y / l.scale_h, s.x / l.scale_w, block_channel(l, out, s));
  };
  d2s.element_float = [](const Layer& l, const TensorShape& out, const FloatOperands& in,
                         const ElementSite& s) {
    return in.at(0, s.y / l.scale_h, s.x / l.scale_w, block_channel(l, out, s));
  };
  d2s.run_reference = [](const Layer& l, const CompiledLayer&, const std::vector<IntTensor>& t,
                         IntTensor& out) {
    const IntTensor& in = t[l.inputs[0]];
    const TensorShape& s = in.shape;
    const int c = out.shape.c;
    out.data.resize(static_cast<std::size_t>(out.shape.elements()));
    for (int y = 0; y < out.shape.h; ++y)
      for (int x = 0; x < out.shape.w; ++x) {
        const int block = (y % l.scale_h) * l.scale_w + x % l.scale_w;
        const std::int16_t* src = in.data.data() +
                                  (std::int64_t{y / l.scale_h} * s.w + x / l.scale_w) * s.c +
                                  std::int64_t{block} * c;
        std::copy(src, src + c, out.data.data() + (std::int64_t{y} * out.shape.w + x) * c);
      }
  };
  kinds.add(d2s);

  // Bilinear: the four input pixels around the output's sample position, weighted by
  // kInterpBits-bit fractions (rounded to nearest) in each direction; the sum rounded to nearest
  // (ties up) at the input's scale.
  LayerKind bi;
  bi.name = "bilinear";
  bi.summary = "bilinear resampling to any size (half-pixel centres or aligned corners)";
  bi.rows = RowReach::Interp;
  bi.out_signed = [](const Layer&, const std::vector<bool>& s) { return bool{s[0]}; };
  bi.element = [](const Layer& l, const CompiledLayer& cl, const TensorShape& out,
                  const IntOperands& in, const ElementSite& s) {
    const TensorShape is = in.shape(0);
    const InterpPoint py = interp_point(s.y, is.h, out.h, l.align_corners);
    const InterpPoint px = interp_point(s.x, is.w, out.w, l.align_corners);
    constexpr std::int64_t one = std::int64_t{1} << kInterpBits;
    auto weight = [](const InterpPoint& p) { return (2 * p.frac * one + p.den) / (2 * p.den); };
    const std::int64_t wy = weight(py), wx = weight(px);
    auto row = [&](int y) {
      return (one - wx) * in.at(0, y, px.i0, s.c) + wx * in.at(0, y, px.i1, s.c);
    };
    const std::int64_t sum = (one - wy) * row(py.i0) + wy * row(py.i1);
    const std::int64_t half = std::int64_t{1} << (2 * kInterpBits - 1);
    // Floor division by 2^(2 kInterpBits) of sum + half (an arithmetic shift floors).
    return clamp_to((sum + half) >> (2 * kInterpBits), cl.out_lo, cl.out_hi);
  };
  bi.element_float = [](const Layer& l, const TensorShape& out, const FloatOperands& in,
                        const ElementSite& s) {
    const TensorShape is = in.shape(0);
    const InterpPoint py = interp_point(s.y, is.h, out.h, l.align_corners);
    const InterpPoint px = interp_point(s.x, is.w, out.w, l.align_corners);
    const double fy = static_cast<double>(py.frac) / static_cast<double>(py.den);
    const double fx = static_cast<double>(px.frac) / static_cast<double>(px.den);
    auto row = [&](int y) {
      return (1 - fx) * in.at(0, y, px.i0, s.c) + fx * in.at(0, y, px.i1, s.c);
    };
    return static_cast<float>((1 - fy) * row(py.i0) + fy * row(py.i1));
  };
  // Per output: four activation x weight products and two adds across, two products of those
  // sums by the other direction's weights and one add.
  bi.cells = [](const Layer&, const TensorShape&, std::uint64_t ops, int act_bits) {
    const int across = act_bits + kInterpBits + 1;
    CellCounts c = mult_cells(act_bits, kInterpBits) * 4.0;
    c += add_cells(across) * 2.0;
    c += mult_cells(across, kInterpBits) * 2.0;
    c += add_cells(across + kInterpBits + 1);
    return c * static_cast<double>(ops);
  };
  kinds.add(bi);
}

}  // namespace conloc
