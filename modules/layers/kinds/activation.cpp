// Nonlinear activation functions (hardswish, hardsigmoid, sigmoid, leakyrelu, with an output
// affine: Layer::act, alpha, beta, gain, offset) by table lookup on the vector unit: the compiler
// tabulates the function of every input code on the output scale.
#include "modules/base/error.h"
#include "modules/layers/layer_kind.h"

namespace conloc {

void define_activation_kinds(LayerKinds& kinds) {
  LayerKind act;
  act.type = LayerType::Act;
  act.name = "act";
  act.summary = "an activation function by table lookup: gain * f(x) + offset";
  act.out_signed = [](const Layer& l, const std::vector<bool>& s) {
    return act_output_signed(l, s[0]);
  };
  act.calibrate = [](const KindCalibration& c, CompiledLayer& cl) {
    const Layer& l = c.layer;
    const double in_scale = c.in_scale(0);
    const double out_scale =
        c.covering_by_code(cl.out_hi, [&](std::int32_t q) { return act_output(l, in_scale * q); });
    // One entry per input code: the function of its real value, on the output scale.
    const bool in_signed = c.in_signed(0);
    cl.lut_lo = act_min(c.activation_bits, in_signed);
    cl.lut.clear();
    for (std::int32_t q = cl.lut_lo; q <= act_max(c.activation_bits, in_signed); ++q) {
      const double y = act_output(l, in_scale * q) / out_scale;
      cl.lut.push_back(static_cast<std::int16_t>(clamp_to(std::llround(y), cl.out_lo, cl.out_hi)));
    }
    return out_scale;
  };
  act.element = [](const Layer&, const CompiledLayer& cl, const TensorShape&, const IntOperands& in,
                   const ElementSite& s) {
    const std::int64_t at = std::int64_t{in.at(0, s.y, s.x, s.c)} - cl.lut_lo;
    CONLOC_ASSERT(at >= 0 && at < static_cast<std::int64_t>(cl.lut.size()), "act",
                  "activation outside the lookup table");
    return std::int32_t{cl.lut[static_cast<std::size_t>(at)]};
  };
  act.run_reference = [](const Layer& l, const CompiledLayer& cl, const std::vector<IntTensor>& t,
                         IntTensor& out) {
    const IntTensor& in = t[l.inputs[0]];
    out.data.resize(in.data.size());
    for (std::size_t i = 0; i < in.data.size(); ++i) {
      const std::int64_t at = std::int64_t{in.data[i]} - cl.lut_lo;
      CONLOC_ASSERT(at >= 0 && at < static_cast<std::int64_t>(cl.lut.size()), "act",
                    "activation outside the lookup table");
      out.data[i] = cl.lut[static_cast<std::size_t>(at)];
    }
  };
  act.element_float = [](const Layer& l, const TensorShape&, const FloatOperands& in,
                         const ElementSite& s) {
    return static_cast<float>(act_output(l, in.at(0, s.y, s.x, s.c)));
  };
  // A table lookup: the read path through a mux tree of act_bits levels, act_bits wide (an
  // approximation: docs/energy.md). Loading the table (2^bits entries per layer) is ignored.
  act.cells = [](const Layer&, const TensorShape&, std::uint64_t ops, int act_bits) {
    CellCounts c;
    c.mux2 += static_cast<double>(act_bits) * act_bits * static_cast<double>(ops);
    return c;
  };
  kinds.add(act);
}

}  // namespace conloc
