// Vector-unit ops: pooling, resize, elementwise kinds, concat, binary ops, activations.
#include <algorithm>
#include <cmath>

#include "modules/base/error.h"
#include "sim/workload/onnx_importer.h"

namespace conloc::onnx_detail {

void Importer::pool(const onnx::NodeProto& n) {
  const Value& x = need_act(n, 0);
  if (x.axes != "NCHW" && x.axes != "NCW") {
    fail(n, "input layout " + x.axes + " is not supported", "", "NCHW or NCW (1-D)");
  }
  const TensorShape in = b_->shape(x.tensor);
  const std::string name = layer_name(n);
  if (n.op_type() == "GlobalAveragePool") {
    acts_[n.output(0)] = {b_->global_avg_pool(name, x.tensor), x.axes};
    return;
  }
  if (n.op_type() == "GlobalMaxPool") {  // a max-pool window over the whole image
    acts_[n.output(0)] = {
        b_->pool(name, LayerType::MaxPool, x.tensor, {in.h, in.w, 1, 1, 0, 0, 0, 0}), x.axes};
    return;
  }
  const auto ks = window_ints(n, "kernel_shape", x.axes == "NCW");
  if (ks.size() != 2) fail(n, "kernel_shape", dims_text(ks), "one size per spatial dimension");
  if (ks[0] < 1 || ks[1] < 1 || ks[0] > 64 || ks[1] > 64)
    fail(n, "kernel out of range", dims_text(ks), "1..64");
  if (n.output_size() > 1 && !n.output(1).empty()) fail(n, "the Indices output is not supported");
  const bool ceil = attr_int(n, "ceil_mode", 0) != 0;
  const Window win = padded_window(n, x, static_cast<int>(ks[0]), static_cast<int>(ks[1]), ceil);
  const bool avg = n.op_type() == "AveragePool";
  // An explicit Pad's zeros are data to ONNX's AveragePool (counted in every window), as the
  // layer's own padding is here.
  const bool own_pads = win.pad_t != x.pad[0] || win.pad_l != x.pad[1] || win.pad_b != x.pad[2] ||
                        win.pad_r != x.pad[3];
  if (avg && own_pads && attr_int(n, "count_include_pad", 0) == 0) {
    notes_.push_back(name + " (AveragePool): windows at padded borders divide by the full window " +
                     "(ONNX: by the values inside, count_include_pad = 0)");
  }
  acts_[n.output(0)] = {
      b_->pool(name, avg ? LayerType::AvgPool : LayerType::MaxPool, x.tensor, win), x.axes};
}
// Nearest-neighbour resizing by whole factors, where every output pixel copies input pixel
// (y / f, x / f): exactly upsampling.
void Importer::resize(const onnx::NodeProto& n) {
  const Value& x = need_act(n, 0);
  if (x.axes != "NCHW") fail(n, "input layout " + x.axes + " is not supported", "", "NCHW");
  const TensorShape in = b_->shape(x.tensor);
  const std::string mode = attr_string(n, "mode");
  if (!mode.empty() && mode != "nearest" && mode != "linear" && mode != "bilinear") {
    fail(n, "only nearest-neighbour and (bi)linear resizing are supported", mode,
         "nearest or linear");
  }
  std::vector<double> f;
  // Upsample (opset 7-9) and Resize 10: scales is input 1; Resize 11+: roi, scales, sizes.
  const int scales_at = n.op_type() == "Upsample" || n.input_size() == 2 ? 1 : 2;
  if (const auto* sa = attr(n, "scales"); sa && n.input_size() < 2) {
    f.assign(sa->floats().begin(), sa->floats().end());  // Upsample opset 7
  } else if (n.input_size() > scales_at && !n.input(scales_at).empty() &&
             need_const(n, scales_at, "the scales").size() > 0) {
    f = need_const(n, scales_at, "the scales").v;
  } else if (n.input_size() > 3 && !n.input(3).empty()) {
    const Const& sizes = need_const(n, 3, "the sizes");
    if (sizes.size() == 4) {
      f = {sizes.v[0], sizes.v[1] / in.c, sizes.v[2] / in.h, sizes.v[3] / in.w};
    }
  }
  if (f.size() != 4 || f[0] != 1 || f[1] != 1) {
    fail(n, "scales", f.empty() ? "none" : "", "[1, 1, fH, fW] (or sizes [1, C, H fH, W fW])");
  }
  const std::string ctm = attr_string(n, "coordinate_transformation_mode");
  const bool old = n.op_type() == "Upsample" || n.input_size() == 2;
  if (mode == "linear" || mode == "bilinear") {
    // Any output size: floor(in x scale), or the sizes given (which f reproduces exactly).
    const int oh = static_cast<int>(std::floor(in.h * f[2] + 1e-9));
    const int ow = static_cast<int>(std::floor(in.w * f[3] + 1e-9));
    const bool align = ctm == "align_corners";
    // pytorch_half_pixel differs from half_pixel only for an output of one pixel.
    const bool half = ctm == "half_pixel" || (ctm.empty() && !old) ||
                      (ctm == "pytorch_half_pixel" && oh > 1 && ow > 1);
    if (!align && !half) {
      fail(n, "this coordinate mapping is not supported for linear resizing",
           ctm.empty() ? "asymmetric (the default of " + n.op_type() + ")" : ctm,
           "half_pixel (torch's align_corners=False) or align_corners");
    }
    if (oh < 1 || ow < 1) fail(n, "output size below one pixel", dims_text({oh, ow}));
    acts_[n.output(0)] = {b_->bilinear(layer_name(n), x.tensor, oh, ow, align), "NCHW"};
    return;
  }
  for (int i = 2; i < 4; ++i) {
    if (f[i] < 1 || f[i] > 64 || f[i] != std::floor(f[i])) {
      fail(n, "only whole upsampling factors are supported",
           std::to_string(f[2]) + " x " + std::to_string(f[3]), "integers 1..64");
    }
  }
  const std::string nm = attr_string(n, "nearest_mode");
  // With whole factors f these pick input pixel floor(y / f) (docs/workloads.md): half_pixel
  // (the default from opset 11) with any rounding, asymmetric (Upsample, Resize 10) or
  // tf_half_pixel_for_nn with floor, asymmetric with round_prefer_floor for f <= 2.
  const bool half_pixel =
      ctm == "half_pixel" || ctm == "pytorch_half_pixel" || (ctm.empty() && !old);
  const bool asymmetric = ctm == "asymmetric" || (ctm.empty() && old);
  const bool floor_mode = nm == "floor" || (old && nm.empty());
  const bool round_down = nm.empty() || nm == "round_prefer_floor";
  const bool exact = half_pixel || ((asymmetric || ctm == "tf_half_pixel_for_nn") && floor_mode) ||
                     (asymmetric && round_down && f[2] <= 2 && f[3] <= 2);
  if (!exact) {
    fail(n, "this coordinate mapping is not pixel repetition", ctm + " / " + nm,
         "asymmetric with floor, or half_pixel");
  }
  acts_[n.output(0)] = {
      b_->upsample(layer_name(n), x.tensor, static_cast<int>(f[2]), static_cast<int>(f[3])),
      "NCHW"};
}
void Importer::elementwise(const onnx::NodeProto& n, const LayerKind& kind) {
  if (n.input_size() != kind.arity) {
    fail(n, n.op_type() + " of " + std::to_string(n.input_size()) + " inputs is not supported", "",
         std::to_string(kind.arity) + (kind.arity == 1 ? " input" : " inputs"));
  }
  if (n.attribute_size() > 0) {
    fail(n, "attributes are not supported", n.attribute(0).name(), "none");
  }
  std::vector<int> ins;
  const Value first = need_act(n, 0);
  for (int i = 0; i < n.input_size(); ++i) {
    const Value v = need_act(n, i);
    if (dims_of(v) != dims_of(first) || v.axes != first.axes) {
      fail_shapes(n, dims_text(dims_of(first)) + ", " + dims_text(dims_of(v)));
    }
    ins.push_back(v.tensor);
  }
  acts_[n.output(0)] = {b_->elementwise(layer_name(n), kind.type, ins), first.axes};
}
void Importer::concat(const onnx::NodeProto& n) {
  std::vector<int> ins;
  std::string axes;
  for (int i = 0; i < n.input_size(); ++i) {
    const Value& v = need_act(n, i);
    if (i > 0 && v.axes != axes) fail(n, "inputs in different layouts");
    if (i > 0 && (b_->shape(v.tensor).h != b_->shape(ins[0]).h ||
                  b_->shape(v.tensor).w != b_->shape(ins[0]).w)) {
      fail_shapes(n, to_string(b_->shape(ins[0])) + ", " + to_string(b_->shape(v.tensor)));
    }
    axes = v.axes;
    ins.push_back(v.tensor);
  }
  std::int64_t axis = attr_int(n, "axis", 1);
  if (axis < 0) axis += static_cast<std::int64_t>(axes.size());
  if (axis < 0 || axis >= static_cast<std::int64_t>(axes.size()) ||
      axes[static_cast<std::size_t>(axis)] != 'C') {
    fail(n, "only a concat along the channels is supported", std::to_string(attr_int(n, "axis", 1)),
         "the channel axis");
  }
  // A concat of one tensor is that tensor (torchvision's DenseNet concatenates a list that holds
  // only the block's input in its first layer).
  if (ins.size() == 1) {
    acts_[n.output(0)] = need_act(n, 0);
    return;
  }
  acts_[n.output(0)] = {b_->concat(layer_name(n), ins), axes};
}
std::string Importer::fold_affine(std::string out, double& gain, double& offset) {
  while (const onnx::NodeProto* n = sole_consumer(out)) {
    const std::string op = n->op_type();
    if ((op != "Add" && op != "Sub" && op != "Mul" && op != "Div") || n->input_size() != 2) break;
    const bool first = n->input(0) == out;
    const Const* k = const_of(n->input(first ? 1 : 0));
    if (!k || k->size() != 1 || (first ? n->input(1) : n->input(0)) == out) break;
    const double v = k->v[0];
    if (op == "Mul") {
      gain *= v;
      offset *= v;
    } else if (op == "Div" && first && v != 0.0) {
      gain /= v;
      offset /= v;
    } else if (op == "Add") {
      offset += v;
    } else if (op == "Sub") {
      gain = first ? gain : -gain;
      offset = first ? offset - v : v - offset;
    } else {
      break;
    }
    done_.insert(index_of(*n));
    out = n->output(0);
  }
  return out;
}
void Importer::pattern_act(std::initializer_list<const onnx::NodeProto*> nodes,
                           const std::string& x, Activation fn) {
  for (const auto* n : nodes)
    done_.insert(index_of(*n));
  const onnx::NodeProto& last = **(nodes.end() - 1);
  const Value v = acts_.at(x);
  double gain = 1.0, offset = 0.0;
  const std::string out = fold_affine(last.output(0), gain, offset);
  acts_[out] = {b_->act(layer_name(last), v.tensor, fn, 0.0, 0.0, gain, offset), v.axes};
}
// x + 3 -> Clip(0, 6) -> x * . -> / 6 (or * 1/6): HardSwish as exporters write it.
bool Importer::hardswish(const onnx::NodeProto& add) {
  if (add.input_size() != 2) return false;
  const int ci = const_of(add.input(1)) ? 1 : const_of(add.input(0)) ? 0 : -1;
  if (ci < 0 || !acts_.count(add.input(1 - ci))) return false;
  const Const& three = *const_of(add.input(ci));
  if (three.size() != 1 || three.v[0] != 3.0) return false;
  const std::string x = add.input(1 - ci);
  const onnx::NodeProto* clip = sole_consumer(add.output(0));
  if (!clip || clamp_of(*clip) != Activation::Relu6 || clip->input(0) != add.output(0)) {
    return false;
  }
  const onnx::NodeProto* mul = sole_consumer(clip->output(0));
  if (!mul || mul->op_type() != "Mul" || mul->input_size() != 2) return false;
  if ((mul->input(0) == clip->output(0) ? mul->input(1) : mul->input(0)) != x) return false;
  const onnx::NodeProto* div = sole_consumer(mul->output(0));
  if (!div || div->input_size() != 2 || div->input(0) != mul->output(0)) return false;
  const Const* six = const_of(div->input(1));
  if (!six || six->size() != 1) return false;
  if (!(div->op_type() == "Div" && six->v[0] == 6.0) &&
      !(div->op_type() == "Mul" && std::abs(six->v[0] - 1.0 / 6.0) < 1e-6)) {
    return false;
  }
  pattern_act({clip, mul, div}, x, Activation::HardSwish);
  return true;
}
// x / sqrt 2 (or x * (1 / sqrt 2)) -> Erf -> + 1 -> x * . -> * 1/2 (or / 2): torch's export of
// the exact GELU, as one `act` layer.
bool Importer::gelu(const onnx::NodeProto& div) {
  const std::string op = div.op_type();
  if ((op != "Div" && op != "Mul") || !acts_.count(div.input(0))) return false;
  const Const* k = const_of(div.input(1));
  const double inv_sqrt2 = 0.7071067811865476;
  if (!k || k->size() != 1 ||
      std::abs((op == "Div" ? 1.0 / k->v[0] : k->v[0]) - inv_sqrt2) > 1e-6) {
    return false;
  }
  const std::string x = div.input(0);
  auto scalar_is = [&](const onnx::NodeProto& n, const std::string& from, double v) {
    if (n.input_size() != 2) return false;
    const Const* c = const_of(n.input(n.input(0) == from ? 1 : 0));
    return c && c->size() == 1 && std::abs(c->v[0] - v) < 1e-6;
  };
  const onnx::NodeProto* erf = sole_consumer(div.output(0));
  if (!erf || erf->op_type() != "Erf") return false;
  const onnx::NodeProto* add = sole_consumer(erf->output(0));
  if (!add || add->op_type() != "Add" || !scalar_is(*add, erf->output(0), 1.0)) return false;
  const onnx::NodeProto* mul = sole_consumer(add->output(0));
  if (!mul || mul->op_type() != "Mul" || mul->input_size() != 2) return false;
  if ((mul->input(0) == add->output(0) ? mul->input(1) : mul->input(0)) != x) return false;
  const onnx::NodeProto* half = sole_consumer(mul->output(0));
  if (!half || !((half->op_type() == "Mul" && scalar_is(*half, mul->output(0), 0.5)) ||
                 (half->op_type() == "Div" && half->input(0) == mul->output(0) &&
                  scalar_is(*half, mul->output(0), 2.0)))) {
    return false;
  }
  pattern_act({erf, add, mul, half}, x, Activation::Gelu);
  return true;
}
void Importer::binary(const onnx::NodeProto& n) {
  const std::string op = n.op_type();
  if (n.input_size() != 2) fail(n, "needs two inputs");
  if (op == "Add" && hardswish(n)) return;
  if (gelu(n)) return;
  const bool a_act = acts_.count(n.input(0)), b_act = acts_.count(n.input(1));
  if (!a_act || !b_act) {
    fail(n, op + " with a constant that cannot be folded", "",
         "a per-channel constant right after a Conv or Gemm (folded into its weights and bias), "
         "or part of x * Clip(x + 3, 0, 6) / 6 (HardSwish)");
  }
  if (op == "Sub" || op == "Div") {
    fail(n, op + " of two computed tensors is not supported", "", "Add or Mul");
  }
  const Value a = need_act(n, 0), bv = need_act(n, 1);
  const auto da = dims_of(a), db = dims_of(bv);
  const std::string name = layer_name(n);
  if (op == "Add") {
    if (da != db || a.axes != bv.axes) {
      fail_shapes(n, dims_text(da) + " + " + dims_text(db));
    }
    Activation act = Activation::None;
    std::string out = n.output(0);
    if (const onnx::NodeProto* c = sole_consumer(out)) {
      if (auto k = clamp_of(*c)) {
        act = *k;
        done_.insert(index_of(*c));
        out = c->output(0);
      }
    }
    acts_[out] = {b_->add(name, a.tensor, bv.tensor, act), a.axes};
    return;
  }
  // Mul: equal shapes, or one operand one value per channel (a squeeze-and-excitation gate).
  auto is_gate = [&](const Value& g, const Value& big) {
    const TensorShape sg = b_->shape(g.tensor), sb = b_->shape(big.tensor);
    return sg.h == 1 && sg.w == 1 && sg.c == sb.c && big.axes == "NCHW";
  };
  const bool same = da == db && a.axes == bv.axes;
  const Value& big = same || is_gate(bv, a) ? a : bv;
  const Value& small = &big == &a ? bv : a;
  if (!same && !is_gate(small, big)) {
    fail(n, "operand shapes do not multiply", dims_text(da) + " * " + dims_text(db),
         "equal shapes, or one [1, C, 1, 1]");
  }
  acts_[n.output(0)] = {b_->mul(name, big.tensor, small.tensor), big.axes};
}

void Importer::reduce_mean(const onnx::NodeProto& n) {
  // The mean over H and W is global average pooling (PyTorch exports x.mean((2, 3)) so); the
  // mean over the channels starts a LayerNorm.
  const Value x = need_act(n, 0);
  const auto rank = static_cast<std::int64_t>(x.axes.size());
  const auto read = reduce_axes(n, static_cast<int>(rank));
  if (!read) need_const(n, 1, "the axes");  // not a constant: names the input and throws
  const std::vector<std::int64_t> axes = read.value_or(std::vector<std::int64_t>{});
  if (axes.size() == 1 && axes[0] >= 0 && axes[0] < rank && x.axes[axes[0]] == 'C' &&
      layer_norm_pattern(n, x, axes[0])) {
    return;
  }
  if (x.axes != "NCHW" || axes != std::vector<std::int64_t>{2, 3}) {
    fail(n, "ReduceMean other than over H and W of an NCHW tensor, or a LayerNorm's",
         dims_text(axes),
         "[2, 3], or the channel axis in (x - mean) / Sqrt(mean of (x - mean)^2 + eps)");
  }
  acts_[n.output(0)] = {b_->global_avg_pool(layer_name(n), x.tensor),
                        attr_int(n, "keepdims", 1) ? "NCHW" : "NF"};
}

// mean = ReduceMean(x, C); d = x - mean; Div(d, Sqrt(ReduceMean(Pow(d, 2), C) + eps)), then the
// scale and shift (Mul, Add by per-channel constants): torch's LayerNorm as ops.
bool Importer::layer_norm_pattern(const onnx::NodeProto& mean, const Value& x, std::int64_t axis) {
  const std::string& xname = mean.input(0);
  auto scalar = [&](const onnx::NodeProto& n, const std::string& from) -> const Const* {
    if (n.input_size() != 2 || n.input(0) != from) return nullptr;
    const Const* c = const_of(n.input(1));
    return c && c->size() == 1 ? c : nullptr;
  };
  auto same_reduce = [&](const onnx::NodeProto& n) {
    if (n.op_type() != "ReduceMean" || attr_int(n, "keepdims", 1) != 1) return false;
    const auto a = reduce_axes(n, static_cast<int>(x.axes.size()));
    return a && *a == std::vector<std::int64_t>{axis};
  };
  if (!same_reduce(mean)) return false;
  const onnx::NodeProto* sub = sole_consumer(mean.output(0));
  if (!sub || sub->op_type() != "Sub" || sub->input_size() != 2 || sub->input(0) != xname ||
      sub->input(1) != mean.output(0) || consumers(sub->output(0)) != 2) {
    return false;
  }
  const onnx::NodeProto *pow = nullptr, *div = nullptr;
  for (int i : consumers_.at(sub->output(0))) {
    const onnx::NodeProto& c = g_.node(i);
    if (c.op_type() == "Pow") pow = &c;
    if (c.op_type() == "Div") div = &c;
  }
  if (!pow || !div) return false;
  const Const* two = scalar(*pow, sub->output(0));
  if (!two || two->v[0] != 2.0) return false;
  const onnx::NodeProto* var = sole_consumer(pow->output(0));
  if (!var || !same_reduce(*var)) return false;
  const onnx::NodeProto* add = sole_consumer(var->output(0));
  if (!add || add->op_type() != "Add") return false;
  const Const* eps = scalar(*add, var->output(0));
  if (!eps || !(eps->v[0] > 0 && eps->v[0] <= 1)) return false;
  const onnx::NodeProto* sqrt = sole_consumer(add->output(0));
  if (!sqrt || sqrt->op_type() != "Sqrt" || sole_consumer(sqrt->output(0)) != div ||
      div->input(0) != sub->output(0) || div->input(1) != sqrt->output(0)) {
    return false;
  }
  for (const auto* n : {sub, pow, var, add, sqrt, div})
    done_.insert(index_of(*n));
  const std::string name = layer_name(*div);
  const Value y{b_->layer_norm(name, x.tensor, eps->v[0]), x.axes};
  channel_affine(name + "_affine", div->output(0), y);
  return true;
}

void Importer::layer_normalization(const onnx::NodeProto& n) {
  const Value x = need_act(n, 0);
  const auto rank = static_cast<std::int64_t>(x.axes.size());
  std::int64_t axis = attr_int(n, "axis", -1);
  axis = axis < 0 ? axis + rank : axis;
  if (axis != rank - 1 || x.axes[static_cast<std::size_t>(axis)] != 'C') {
    fail(n, "normalises other axes than the channels alone", "axis " + std::to_string(axis),
         "the last axis, the channels (an NHWC view)");
  }
  for (int o = 1; o < n.output_size(); ++o) {
    if (!n.output(o).empty() && consumers(n.output(o)) > 0)
      fail(n, "its Mean or InvStdDev output is used", n.output(o), "only Y");
  }
  const int c = b_->shape(x.tensor).c;
  const double eps = attr_float(n, "epsilon", 1e-5f);
  if (!(eps > 0 && eps <= 1)) fail(n, "epsilon out of range", std::to_string(eps), "(0, 1]");
  const std::string name = layer_name(n);
  const Value y{b_->layer_norm(name, x.tensor, eps), x.axes};
  // Scale and B as per-channel constants, then whatever folds after them.
  std::vector<float> w(static_cast<std::size_t>(c), 1.0f), bias(static_cast<std::size_t>(c), 0.0f);
  const std::vector<double> scale = per_channel(need_const(n, 1, "the scale [C]"), c, "NC");
  if (scale.empty()) fail(n, "scale is not one value per channel", "", "[C]");
  for (int i = 0; i < c; ++i)
    w[i] = static_cast<float>(scale[i]);
  if (n.input_size() > 2 && !n.input(2).empty()) {
    const std::vector<double> b = per_channel(need_const(n, 2, "the bias [C]"), c, "NC");
    if (b.empty()) fail(n, "bias is not one value per channel", "", "[C]");
    for (int i = 0; i < c; ++i)
      bias[i] = static_cast<float>(b[i]);
  }
  channel_affine(name + "_affine", n.output(0), y, std::move(w), std::move(bias));
}

void Importer::activation(const onnx::NodeProto& n) {
  const std::string op = n.op_type();
  const Value x = need_act(n, 0);
  const Activation fn = op == "LeakyRelu"     ? Activation::LeakyRelu
                        : op == "HardSigmoid" ? Activation::HardSigmoid
                        : op == "HardSwish"   ? Activation::HardSwish
                                              : Activation::Sigmoid;
  const double alpha =
      op == "LeakyRelu" ? attr_float(n, "alpha", 0.01f) : attr_float(n, "alpha", 0.2f);
  double gain = 1.0, offset = 0.0;
  const std::string out = fold_affine(n.output(0), gain, offset);
  acts_[out] = {
      b_->act(layer_name(n), x.tensor, fn, alpha, attr_float(n, "beta", 0.5f), gain, offset),
      x.axes};
}

void Importer::softmax(const onnx::NodeProto& n) {
  // Monotone per row: the top class is the same without it. Run only at the very end.
  if (!outputs_.count(n.output(0))) {
    fail(n, "Softmax inside the network is not supported", "", "a final Softmax only");
  }
  acts_[n.output(0)] = need_act(n, 0);
  notes_.push_back((n.name().empty() ? std::string("Softmax") : n.name()) +
                   " (Softmax): not run; the result is the scores before it (same top class)");
}

}  // namespace conloc::onnx_detail
