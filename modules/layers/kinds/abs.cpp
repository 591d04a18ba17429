// Absolute value on the vector unit: the worked example of docs/extending.md ("Add a layer
// type"), and everything the tool knows about the operation. The output is unsigned, so the
// calibration gives it a scale twice as fine as the input's when the input is signed: each
// element is negated if negative, then rescaled into that scale.
#include <cmath>
#include <cstdlib>

#include "modules/arith/output_stage_cells.h"
#include "modules/layers/layer_kind.h"

namespace conloc {

void define_abs_kinds(LayerKinds& kinds) {
  LayerKind k;
  k.name = "abs";
  k.summary = "absolute value, element by element";
  k.arity = 1;           // one input, no parameters: JSON {"type": "abs", "input": ...}
  k.onnx_ops = {"Abs"};  // imported from ONNX's Abs
  k.out_signed = [](const Layer&, const std::vector<bool>&) { return false; };
  k.calibrate = [](const KindCalibration& c, CompiledLayer& cl) {
    const double out_scale =
        c.covering(cl.out_hi, [&](const std::vector<IntTensor>& img, std::size_t i) {
          return std::abs(c.real(img, 0, c.layer, i));
        });
    cl.input_rq = {Requant::from_real(c.in_scale(0) / out_scale)};
    return out_scale;
  };
  k.element = [](const Layer&, const CompiledLayer& cl, const TensorShape&, const IntOperands& in,
                 const ElementSite& s) {
    const std::int64_t a = std::abs(in.at(0, s.y, s.x, s.c));
    return clamp_to(cl.input_rq[0].apply(a), cl.out_lo, cl.out_hi);
  };
  k.element_float = [](const Layer&, const TensorShape&, const FloatOperands& in,
                       const ElementSite& s) { return std::fabs(in.at(0, s.y, s.x, s.c)); };
  // The conditional negation (an XOR per bit and an increment), then one rescale per element.
  k.cells = [](const Layer&, const TensorShape&, std::uint64_t ops, int act_bits) {
    const double elems = static_cast<double>(ops);  // one per output element
    CellCounts c;
    c.xor2 += act_bits * elems;
    c += add_cells(act_bits + 1) * elems;
    c += output_stage_cells(act_bits + 1, act_bits) * elems;
    return c;
  };
  kinds.add(k);
}

}  // namespace conloc
