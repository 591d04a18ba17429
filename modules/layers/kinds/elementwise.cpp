// Element-wise layers of two inputs (add, mul, max) and the clamp (relu, relu6) on the vector
// unit. Each rescales into the output scale the calibration chose: the add with two multipliers
// over one shift (Requant2), the mul its product, the max each input before comparing.
#include <algorithm>
#include <cmath>

#include "modules/base/error.h"
#include "modules/base/multiversion.h"
#include "modules/layers/layer_kind.h"

namespace conloc {

namespace {

// relu or relu6 on a float (none: as is), in float arithmetic as the float model runs.
float clamp_float(float v, Activation a) {
  if (a == Activation::None) return v;
  v = std::max(v, 0.0f);
  return a == Activation::Relu6 ? std::min(v, 6.0f) : v;
}

// relu6 caps the output at the code of 6.0 (an add or a relu that carries it).
void cap_relu6(const Layer& l, double out_scale, CompiledLayer& cl) {
  if (l.act != Activation::Relu6) return;
  cl.out_hi = static_cast<std::int32_t>(std::min<double>(cl.out_hi, std::llround(6.0 / out_scale)));
}

// The integer reference's residual add, exact in doubles: int16 operands times multipliers below
// 2^31 sum to an integer below 2^53 (as the PE array's output stage, sim/reference).
CONLOC_MULTIVERSION
void add_tensors(const IntTensor& a, const IntTensor& b, const Requant2& rq, std::int32_t lo,
                 std::int32_t hi, IntTensor& out) {
  CONLOC_ASSERT(a.data.size() == b.data.size(), "reference", "add operands differ in size");
  out.data.resize(a.data.size());
  const std::size_t n = a.data.size();
  const std::int16_t *pa = a.data.data(), *pb = b.data.data();
  std::int16_t* po = out.data.data();
  if (rq.shift <= 52) {
    const double ma = rq.mult_a, mb = rq.mult_b, half = std::ldexp(1.0, rq.shift - 1),
                 inv = std::ldexp(1.0, -rq.shift), dlo = lo, dhi = hi;
    for (std::size_t i = 0; i < n; ++i) {
      const double y = std::floor((pa[i] * ma + pb[i] * mb + half) * inv);
      po[i] = static_cast<std::int16_t>(std::min(std::max(y, dlo), dhi));
    }
    return;
  }
  for (std::size_t i = 0; i < n; ++i)
    po[i] = static_cast<std::int16_t>(clamp_to(rq.apply(pa[i], pb[i]), lo, hi));
}

// Both operands of an add or max rescaled into the output scale, per element: a multiply, a
// 32-bit rounding add and the shift's multiplexers each.
CellCounts both_rescaled_cells(int act_bits, double elems) {
  CellCounts c = mult_cells(act_bits + 1, 15) * (2.0 * elems);
  c += add_cells(32) * (2.0 * elems);
  c.mux2 += 6.0 * 32 * elems;
  return c;
}

}  // namespace

void define_elementwise_kinds(LayerKinds& kinds) {
  // add: y = act(a + b), a relu or relu6 fused (Layer::act).
  LayerKind add;
  add.type = LayerType::Add;
  add.name = "add";
  add.summary = "sum of two tensors of one shape (a residual add), relu or relu6 fused";
  add.out_signed = [](const Layer& l, const std::vector<bool>&) {
    return l.act == Activation::None;
  };
  add.calibrate = [](const KindCalibration& c, CompiledLayer& cl) {
    const Layer& l = c.layer;
    const double sa = c.in_scale(0), sb = c.in_scale(1);
    const double out_scale =
        c.covering(cl.out_hi, [&](const std::vector<IntTensor>& img, std::size_t i) {
          return activate(l.act, c.real(img, 0, l, i) + c.real(img, 1, l, i));
        });
    cl.add_rq = Requant2::from_real(sa / out_scale, sb / out_scale);
    cap_relu6(l, out_scale, cl);
    return out_scale;
  };
  add.element = [](const Layer&, const CompiledLayer& cl, const TensorShape&, const IntOperands& in,
                   const ElementSite& s) {
    return clamp_to(cl.add_rq.apply(in.at(0, s.y, s.x, s.c), in.at(1, s.y, s.x, s.c)), cl.out_lo,
                    cl.out_hi);
  };
  add.element_float = [](const Layer& l, const TensorShape&, const FloatOperands& in,
                         const ElementSite& s) {
    return clamp_float(in.at(0, s.y, s.x, s.c) + in.at(1, s.y, s.x, s.c), l.act);
  };
  add.run_reference = [](const Layer& l, const CompiledLayer& cl, const std::vector<IntTensor>& t,
                         IntTensor& out) {
    add_tensors(t[l.inputs[0]], t[l.inputs[1]], cl.add_rq, cl.out_lo, cl.out_hi, out);
  };
  // Two rescale multiplies, the sum, rounding, shift and clamp per output.
  add.cells = [](const Layer&, const TensorShape&, std::uint64_t ops, int act_bits) {
    const double elems = static_cast<double>(ops);  // one per output element
    CellCounts c = both_rescaled_cells(act_bits, elems);
    c += add_cells(act_bits + 1) * (2.0 * elems);
    return c;
  };
  kinds.add(add);

  // mul: y = a * b, b of a's shape or one factor per channel (1x1xC, a squeeze-and-excitation
  // gate; the operands broadcast it).
  LayerKind mul;
  mul.type = LayerType::Mul;
  mul.name = "mul";
  mul.summary = "product of two tensors, the second of the same shape or 1x1xC (a gate)";
  mul.out_signed = [](const Layer&, const std::vector<bool>& s) { return s[0] || s[1]; };
  mul.calibrate = [](const KindCalibration& c, CompiledLayer& cl) {
    const Layer& l = c.layer;
    const double sa = c.in_scale(0), sb = c.in_scale(1);
    const std::size_t ch = static_cast<std::size_t>(c.net.out_shape(l).c);
    const double out_scale =
        c.covering(cl.out_hi, [&](const std::vector<IntTensor>& img, std::size_t i) {
          const auto& b = img[l.inputs[1]].data;
          return sa * img[l.inputs[0]].data[i] * sb *
                 b[b.size() == img[l.inputs[0]].data.size() ? i : i % ch];
        });
    cl.mul_rq = Requant::from_real(sa * sb / out_scale);
    return out_scale;
  };
  mul.element = [](const Layer&, const CompiledLayer& cl, const TensorShape&, const IntOperands& in,
                   const ElementSite& s) {
    const std::int64_t p = std::int64_t{in.at(0, s.y, s.x, s.c)} * in.at(1, s.y, s.x, s.c);
    return clamp_to(cl.mul_rq.apply(p), cl.out_lo, cl.out_hi);
  };
  mul.element_float = [](const Layer&, const TensorShape&, const FloatOperands& in,
                         const ElementSite& s) {
    return in.at(0, s.y, s.x, s.c) * in.at(1, s.y, s.x, s.c);
  };
  mul.run_reference = [](const Layer& l, const CompiledLayer& cl, const std::vector<IntTensor>& t,
                         IntTensor& out) {
    const IntTensor &a = t[l.inputs[0]], &b = t[l.inputs[1]];
    const bool per_channel = b.data.size() != a.data.size();
    const std::size_t c = static_cast<std::size_t>(a.shape.c);
    CONLOC_ASSERT(!per_channel || b.data.size() == c, "reference", "mul operand shapes differ");
    out.data.resize(a.data.size());
    for (std::size_t i = 0; i < a.data.size(); ++i) {
      const std::int64_t y = std::int64_t{a.data[i]} * b.data[per_channel ? i % c : i];
      out.data[i] = static_cast<std::int16_t>(clamp_to(cl.mul_rq.apply(y), cl.out_lo, cl.out_hi));
    }
  };
  // The product, then the output stage's rescale, rounding add, shift and clamp.
  mul.cells = [](const Layer&, const TensorShape&, std::uint64_t ops, int act_bits) {
    const double elems = static_cast<double>(ops);  // one per output element
    CellCounts c = mult_cells(act_bits + 1, act_bits + 1) * elems;
    c += mult_cells(2 * act_bits + 2, 15) * elems;
    c += add_cells(32) * elems;
    c.mux2 += 6.0 * 32 * elems;
    c += add_cells(act_bits + 1) * (2.0 * elems);
    return c;
  };
  kinds.add(mul);

  // max: the larger of two tensors of one shape; each input rescaled into the output scale.
  LayerKind max;
  max.type = LayerType::Max;
  max.name = "max";
  max.summary = "element-wise maximum of two tensors of one shape";
  max.arity = 2;
  max.onnx_ops = {"Max"};
  max.out_signed = [](const Layer&, const std::vector<bool>& s) { return s[0] && s[1]; };
  max.calibrate = [](const KindCalibration& c, CompiledLayer& cl) {
    const Layer& l = c.layer;
    const double out_scale =
        c.covering(cl.out_hi, [&](const std::vector<IntTensor>& img, std::size_t i) {
          return std::max(c.real(img, 0, l, i), c.real(img, 1, l, i));
        });
    cl.input_rq = {Requant::from_real(c.in_scale(0) / out_scale),
                   Requant::from_real(c.in_scale(1) / out_scale)};
    return out_scale;
  };
  max.element = [](const Layer&, const CompiledLayer& cl, const TensorShape&, const IntOperands& in,
                   const ElementSite& s) {
    return clamp_to(std::max(cl.input_rq[0].apply(in.at(0, s.y, s.x, s.c)),
                             cl.input_rq[1].apply(in.at(1, s.y, s.x, s.c))),
                    cl.out_lo, cl.out_hi);
  };
  max.element_float = [](const Layer&, const TensorShape&, const FloatOperands& in,
                         const ElementSite& s) {
    return std::max(in.at(0, s.y, s.x, s.c), in.at(1, s.y, s.x, s.c));
  };
  // Both operands rescaled (as the add), then one compare.
  max.cells = [](const Layer&, const TensorShape&, std::uint64_t ops, int act_bits) {
    const double elems = static_cast<double>(ops);  // one per output element
    CellCounts c = both_rescaled_cells(act_bits, elems);
    c += add_cells(act_bits + 1) * (3.0 * elems);
    return c;
  };
  kinds.add(max);

  // relu: the clamp at zero (relu6: and at 6) of a layer the PE array could not fuse it into.
  LayerKind relu;
  relu.type = LayerType::Relu;
  relu.name = "relu";
  relu.summary = "relu or relu6 on its own (fused into a conv, fc or add where it follows one)";
  relu.out_signed = [](const Layer&, const std::vector<bool>&) { return false; };
  relu.calibrate = [](const KindCalibration& c, CompiledLayer& cl) {
    cap_relu6(c.layer, c.in_scale(0), cl);
    return c.in_scale(0);
  };
  relu.element = [](const Layer&, const CompiledLayer& cl, const TensorShape&,
                    const IntOperands& in, const ElementSite& s) {
    return clamp_to(in.at(0, s.y, s.x, s.c), cl.out_lo, cl.out_hi);
  };
  relu.element_float = [](const Layer& l, const TensorShape&, const FloatOperands& in,
                          const ElementSite& s) {
    return clamp_float(in.at(0, s.y, s.x, s.c),
                       l.act == Activation::None ? Activation::Relu : l.act);
  };
  // One compare per element (the clamp's lower bound; relu6 adds the upper one).
  relu.cells = [](const Layer&, const TensorShape&, std::uint64_t ops, int act_bits) {
    return add_cells(act_bits + 1) * static_cast<double>(ops);
  };
  kinds.add(relu);
}

}  // namespace conloc
