// Concatenation along channels on the vector unit: one pass per input into its channels of the
// output, each rescaled into the one output scale (the widest range among the inputs).
#include "modules/arith/output_stage_cells.h"
#include "modules/layers/layer_kind.h"

namespace conloc {

void define_concat_kinds(LayerKinds& kinds) {
  LayerKind k;
  k.type = LayerType::Concat;
  k.name = "concat";
  k.summary = "the inputs' channels side by side (2 to 64 inputs of one height and width)";
  k.part_per_input = true;
  k.out_signed = [](const Layer&, const std::vector<bool>& s) {
    for (bool b : s)
      if (b) return true;
    return false;
  };
  k.calibrate = [](const KindCalibration& c, CompiledLayer& cl) {
    RangeStat range(c.percentile);
    for (const auto& img : c.images)
      for (int t : c.layer.inputs)
        for (auto v : img[t].data)
          range.add(img[t].scale * v);
    const double maxv = range.value();
    const double out_scale = maxv > 0 ? maxv / cl.out_hi : c.in_scale(0);
    cl.input_rq.clear();
    for (std::size_t i = 0; i < c.layer.inputs.size(); ++i)
      cl.input_rq.push_back(Requant::from_real(c.in_scale(static_cast<int>(i)) / out_scale));
    return out_scale;
  };
  k.element = [](const Layer&, const CompiledLayer& cl, const TensorShape&, const IntOperands& in,
                 const ElementSite& s) {
    return clamp_to(
        cl.input_rq[static_cast<std::size_t>(s.part)].apply(in.at(s.part, s.y, s.x, s.c)),
        cl.out_lo, cl.out_hi);
  };
  k.element_float = [](const Layer&, const TensorShape&, const FloatOperands& in,
                       const ElementSite& s) { return in.at(s.part, s.y, s.x, s.c); };
  k.run_reference = [](const Layer& l, const CompiledLayer& cl, const std::vector<IntTensor>& t,
                       IntTensor& out) {
    out.data.resize(static_cast<std::size_t>(out.shape.elements()));
    const std::int64_t pixels = std::int64_t{out.shape.h} * out.shape.w;
    int c0 = 0;
    for (std::size_t i = 0; i < l.inputs.size(); ++i) {
      const IntTensor& in = t[l.inputs[i]];
      const int c = in.shape.c;
      for (std::int64_t p = 0; p < pixels; ++p)
        for (int ch = 0; ch < c; ++ch)
          out.data[p * out.shape.c + c0 + ch] = static_cast<std::int16_t>(
              clamp_to(cl.input_rq[i].apply(in.data[p * c + ch]), cl.out_lo, cl.out_hi));
      c0 += c;
    }
  };
  // One rescale per element into the common output scale (as the pooling output stage).
  k.cells = [](const Layer&, const TensorShape&, std::uint64_t ops, int act_bits) {
    return output_stage_cells(act_bits + 1, act_bits) * static_cast<double>(ops);
  };
  kinds.add(k);
}

}  // namespace conloc
