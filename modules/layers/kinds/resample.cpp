// Data movement on the vector unit: nearest-neighbour upsampling and depth-to-space (a
// transposed convolution whose kernel equals its stride is a 1x1 convolution followed by this).
// Nothing is computed: the cost is the memory traffic.
#include <algorithm>

#include "modules/layers/layer_kind.h"

namespace conloc {

namespace {

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
}

}  // namespace conloc
