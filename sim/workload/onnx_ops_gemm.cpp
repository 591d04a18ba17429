// PE-array ops: Conv, Gemm / MatMul, ConvTranspose, and the per-channel affine ops and clamps
// that fold into them.
#include <algorithm>
#include <cmath>

#include "modules/base/error.h"
#include "sim/workload/onnx_importer.h"

namespace conloc::onnx_detail {

std::optional<Activation> Importer::clamp_of(const onnx::NodeProto& n) const {
  if (n.op_type() == "Relu") return Activation::Relu;
  if (n.op_type() != "Clip") return std::nullopt;
  // Opset < 11: min/max attributes; from 11: optional constant inputs.
  double lo = attr_float(n, "min", -INFINITY), hi = attr_float(n, "max", INFINITY);
  if (n.input_size() > 1 && !n.input(1).empty()) {
    const Const* c = const_of(n.input(1));
    if (!c || c->size() != 1) return std::nullopt;
    lo = c->v[0];
  }
  if (n.input_size() > 2 && !n.input(2).empty()) {
    const Const* c = const_of(n.input(2));
    if (!c || c->size() != 1) return std::nullopt;
    hi = c->v[0];
  }
  if (lo == 0.0 && hi == 6.0) return Activation::Relu6;
  if (lo == 0.0 && std::isinf(hi)) return Activation::Relu;
  return std::nullopt;
}
// A constant that applies per channel to an activation whose ONNX axes are `axes` (the channel
// axis 'C', or 'F' of a flat tensor) under ONNX's broadcasting (dimensions aligned from the
// right): a scalar, or C values whose dimension aligned with the channel axis is C and every
// other 1: [C, 1, 1] or [1, C, 1, 1] on NCHW, [C] on NHWC, [C, 1] on NCW, [C] or [1, C] on a flat
// [N, C]. A [C] on NCHW broadcasts along W, so it is not per channel. Empty when it is not.
std::vector<double> per_channel(const Const& c, int channels, const std::string& axes) {
  if (c.size() == 1) return std::vector<double>(static_cast<std::size_t>(channels), c.v[0]);
  if (c.size() != channels) return {};
  const int rank = static_cast<int>(axes.size());
  const auto at = axes.find_first_of("CF");
  if (at == std::string::npos) return {};
  const int r = static_cast<int>(c.dims.size());
  const int axis = r - rank + static_cast<int>(at);  // the constant's dimension on that axis
  if (r > rank || axis < 0) return {};
  for (int i = 0; i < r; ++i) {
    if (c.dims[static_cast<std::size_t>(i)] != (i == axis ? channels : 1)) return {};
  }
  return c.v;
}
bool Importer::fold_node(const onnx::NodeProto& n, const std::string& out, int channels,
                         const std::string& axes, std::vector<float>& w, std::vector<float>& bias,
                         Activation& act, int repeat) {
  if (act != Activation::None) return false;  // nothing folds past the clamp
  const std::size_t rows = static_cast<std::size_t>(channels) * repeat;
  const std::size_t per = w.size() / rows;
  auto scale = [&](const std::vector<double>& s) {
    for (std::size_t j = 0; j < rows; ++j) {
      for (std::size_t k = 0; k < per; ++k)
        w[j * per + k] = static_cast<float>(w[j * per + k] * s[j % channels]);
      bias[j] = static_cast<float>(bias[j] * s[j % channels]);
    }
  };
  auto shift = [&](const std::vector<double>& k, double sign) {
    for (std::size_t j = 0; j < rows; ++j)
      bias[j] = static_cast<float>(bias[j] + sign * k[j % channels]);
  };
  const std::string op = n.op_type();
  if (op == "BatchNormalization") {
    if (n.input(0) != out || n.input_size() < 5) return false;
    const double eps = attr_float(n, "epsilon", 1e-5f);
    std::vector<double> p[4];
    for (int i = 0; i < 4; ++i) {
      // One value per channel, 1-D by the operator's definition.
      p[i] = per_channel(need_const(n, i + 1, "a per-channel constant"), channels, "NC");
      if (p[i].empty()) fail(n, "parameter " + std::to_string(i + 1) + " is not per channel");
    }
    std::vector<double> s(static_cast<std::size_t>(channels));
    for (int c = 0; c < channels; ++c) {
      if (p[3][c] + eps <= 0) fail(n, "negative variance");
      s[c] = p[0][c] / std::sqrt(p[3][c] + eps);
    }
    shift(p[2], -1.0);
    scale(s);
    shift(p[1], 1.0);
  } else if (op == "Add" || op == "Sub" || op == "Mul" || op == "Div") {
    const int other = n.input(0) == out ? 1 : 0;
    if (n.input_size() != 2 || n.input(1 - other) != out) return false;
    const Const* c = const_of(n.input(other));
    if (!c) return false;
    std::vector<double> k = per_channel(*c, channels, axes);
    if (k.empty()) return false;
    if (op == "Sub" && other == 0) return false;  // const - x: a negation, not folded
    if (op == "Div" && other == 0) return false;
    if (op == "Add" || op == "Sub") {
      shift(k, op == "Add" ? 1.0 : -1.0);
    } else {
      if (op == "Div") {
        for (auto& x : k) {
          if (x == 0) fail(n, "division by zero");
          x = 1.0 / x;
        }
      }
      scale(k);
    }
    // An Add of 3 that starts a HardSwish reads the output twice: not a plain affine.
  } else if (auto a = clamp_of(n)) {
    act = *a;
  } else {
    return false;
  }
  done_.insert(index_of(n));
  return true;
}
std::string Importer::fold_following(std::string out, int channels, std::string& axes,
                                     std::vector<float>& w, std::vector<float>& bias,
                                     Activation& act, int repeat) {
  while (const onnx::NodeProto* n = sole_consumer(out)) {
    // A Transpose only relabels the axes (ConvNeXt's Linear -> permute -> layer scale): the
    // constants after it are read against the new ones.
    if (n->op_type() == "Transpose" && act == Activation::None) {
      const std::string moved = transposed_axes(*n, axes);
      if (moved.size() != 4) break;
      axes = moved;
      done_.insert(index_of(*n));
    } else if (!fold_node(*n, out, channels, axes, w, bias, act, repeat)) {
      break;
    }
    out = n->output(0);
  }
  return out;
}
void Importer::batch_norm(const onnx::NodeProto& n) {
  // Not after a Conv or Gemm (DenseNet's pre-activation layers: a concat, then BatchNorm and
  // ReLU): a per-channel scale and shift, run on the PE array as a 1x1 depthwise convolution
  // with bias, which also takes the clamp and affine ops after it.
  const Value& x = need_act(n, 0);
  if (x.axes != "NCHW" || x.padded() || x.groups != 1) {
    fail(n, "input layout " + x.axes + " is not supported", "", "NCHW");
  }
  const int c = b_->shape(x.tensor).c;
  std::vector<float> w(static_cast<std::size_t>(c), 1.0f), bias(static_cast<std::size_t>(c), 0.0f);
  Activation act = Activation::None;
  std::string axes = x.axes;
  fold_node(n, n.input(0), c, axes, w, bias, act, 1);
  const std::string out = fold_following(n.output(0), c, axes, w, bias, act);
  const std::string name = layer_name(n);
  const int t = b_->conv_window(name, x.tensor, c, Window::square(1, 1, 0), act, c);
  params_[name] = {std::move(w), std::move(bias)};
  acts_[out] = {t, axes};
}
void Importer::conv(const onnx::NodeProto& n) {
  const Value& x = need_act(n, 0);
  if (x.axes != "NCHW" && x.axes != "NCW") {
    fail(n, "input layout " + x.axes + " is not supported", "", "NCHW or NCW (1-D)");
  }
  const bool one_d = x.axes == "NCW";  // a 1-D convolution: weights [M, C/group, k]
  const Const& wc = need_const(n, 1, "the weights [M, C/group, kH, kW]");
  const TensorShape in = b_->shape(x.tensor);
  if (wc.dims.size() != (one_d ? 3u : 4u)) {
    fail(n, one_d ? "weights are not 3-D" : "weights are not 4-D", dims_text(wc.dims),
         one_d ? "[M, C/group, k]" : "[M, C/group, kH, kW]");
  }
  const int groups = static_cast<int>(attr_int(n, "group", 1));
  const std::int64_t m = wc.dims[0], cin_g = wc.dims[1], kh = one_d ? 1 : wc.dims[2],
                     kw = wc.dims[one_d ? 2 : 3];
  if (groups < 1 || cin_g * groups != in.c) {
    fail(n, "weights do not match the input channels", dims_text(wc.dims),
         "[M, " + std::to_string(groups > 0 ? in.c / groups : in.c) + ", kH, kW] for " +
             std::to_string(in.c) + " input channels in " + std::to_string(groups) + " groups");
  }
  if (m < 1 || m > (1 << 16) || kh < 1 || kw < 1 || kh > 64 || kw > 64) {
    fail(n, "weights out of range", dims_text(wc.dims), "M <= 65536, kernels 1..64");
  }
  const auto ks = window_ints(n, "kernel_shape", one_d);
  if (!ks.empty() && (ks.size() != 2 || ks[0] != kh || ks[1] != kw)) {
    fail(n, "kernel_shape differs from the weights", dims_text(ks), dims_text({kh, kw}));
  }
  // [M][C/g][kh][kw] -> [G][N][K] with k = (r * kw + s) * cin_g + ci, written in order (no
  // zero-filled vector first: the weights are most of a model's bytes).
  std::vector<float> w;
  w.reserve(static_cast<std::size_t>(wc.size()));
  for (std::int64_t o = 0; o < m; ++o)
    for (std::int64_t r = 0; r < kh; ++r)
      for (std::int64_t s = 0; s < kw; ++s)
        for (std::int64_t ci = 0; ci < cin_g; ++ci)
          w.push_back(static_cast<float>(wc.at(((o * cin_g + ci) * kh + r) * kw + s)));
  std::vector<float> bias(static_cast<std::size_t>(m), 0.0f);
  if (n.input_size() > 2 && !n.input(2).empty()) {
    const Const& bc = need_const(n, 2, "the bias [M]");
    if (bc.size() != m)
      fail(n, "bias size differs from the output channels", dims_text(bc.dims), std::to_string(m));
    for (std::int64_t i = 0; i < m; ++i)
      bias[i] = static_cast<float>(bc.v[i]);
  }
  Activation act = Activation::None;
  std::string axes = x.axes;
  const std::string out = fold_following(n.output(0), static_cast<int>(m), axes, w, bias, act);
  const Window win = padded_window(n, x, static_cast<int>(kh), static_cast<int>(kw), false);
  const std::string name = layer_name(n);
  const int t = b_->conv_window(name, x.tensor, static_cast<int>(m), win, act, groups);
  params_[name] = {std::move(w), std::move(bias)};
  acts_[out] = {t, axes};
}
void Importer::fully_connected(const onnx::NodeProto& n) {
  const Value& x = need_act(n, 0);
  if (n.op_type() == "MatMul" && x.axes.size() == 4 && x.axes.back() == 'C') {
    pointwise(n, x);
    return;
  }
  const TensorShape in = b_->shape(x.tensor);
  const std::int64_t k = in.elements();
  const bool flat = x.axes == "NF" || (x.axes == "NCHW" && in.h == 1 && in.w == 1);
  if (!flat) fail(n, "input is not a flattened tensor", dims_text(dims_of(x)), "[1, features]");
  if (n.op_type() == "Gemm" && attr_int(n, "transA", 0) != 0)
    fail(n, "transA = 1 is not supported");
  const bool trans_b = n.op_type() == "Gemm" && attr_int(n, "transB", 0) != 0;
  const Const& bc = need_const(n, 1, "the weights");
  if (bc.dims.size() != 2 || bc.dims[trans_b ? 1 : 0] != k) {
    fail(n, "weights do not match the input features", dims_text(bc.dims),
         trans_b ? "[N, " + std::to_string(k) + "]" : "[" + std::to_string(k) + ", N]");
  }
  const std::int64_t outs = bc.dims[trans_b ? 0 : 1];
  if (outs < 1 || outs > (1 << 20))
    fail(n, "output features out of range", std::to_string(outs), "1..1048576");
  const double alpha = n.op_type() == "Gemm" ? attr_float(n, "alpha", 1.0f) : 1.0;
  const double beta = n.op_type() == "Gemm" ? attr_float(n, "beta", 1.0f) : 1.0;
  // Feature f of the input is CHW-flattened (c * H * W + y * W + x); the accelerator's K order
  // for a whole-input kernel is (y, x, c).
  std::vector<float> w(static_cast<std::size_t>(outs * k));
  for (std::int64_t o = 0; o < outs; ++o)
    for (int c = 0; c < in.c; ++c)
      for (int y = 0; y < in.h; ++y)
        for (int xx = 0; xx < in.w; ++xx) {
          const std::int64_t f = (std::int64_t{c} * in.h + y) * in.w + xx;
          const std::int64_t kk = (std::int64_t{y} * in.w + xx) * in.c + c;
          w[o * k + kk] = static_cast<float>(alpha * bc.at(trans_b ? o * k + f : f * outs + o));
        }
  std::vector<float> bias(static_cast<std::size_t>(outs), 0.0f);
  if (n.op_type() == "Gemm" && n.input_size() > 2 && !n.input(2).empty()) {
    const std::vector<double> c =
        per_channel(need_const(n, 2, "the bias [N]"), static_cast<int>(outs), "NF");
    if (c.empty())
      fail(n, "bias is not one value per output", dims_text(need_const(n, 2, "").dims), "[N]");
    for (std::int64_t i = 0; i < outs; ++i)
      bias[i] = static_cast<float>(beta * c[i]);
  }
  Activation act = Activation::None;
  std::string axes = "NF";
  const std::string out = fold_following(n.output(0), static_cast<int>(outs), axes, w, bias, act);
  const std::string name = layer_name(n);
  const int t = b_->fc(name, x.tensor, static_cast<int>(outs), act);
  params_[name] = {std::move(w), std::move(bias)};
  acts_[out] = {t, axes};
}
void Importer::pointwise(const onnx::NodeProto& n, const Value& x) {
  const TensorShape in = b_->shape(x.tensor);
  const Const& bc = need_const(n, 1, "the weights [C, N]");
  if (bc.dims.size() != 2 || bc.dims[0] != in.c) {
    fail(n, "weights do not match the input channels", dims_text(bc.dims),
         "[" + std::to_string(in.c) + ", N]");
  }
  const std::int64_t outs = bc.dims[1];
  if (outs < 1 || outs > (1 << 16))
    fail(n, "output channels out of range", std::to_string(outs), "1..65536");
  // [C][N] -> [N][C], written in order.
  std::vector<float> w;
  w.reserve(static_cast<std::size_t>(outs * in.c));
  for (std::int64_t o = 0; o < outs; ++o)
    for (std::int64_t c = 0; c < in.c; ++c)
      w.push_back(static_cast<float>(bc.at(c * outs + o)));
  std::vector<float> bias(static_cast<std::size_t>(outs), 0.0f);
  Activation act = Activation::None;
  std::string axes = x.axes;
  const std::string out = fold_following(n.output(0), static_cast<int>(outs), axes, w, bias, act);
  const std::string name = layer_name(n);
  const int t = b_->conv_window(name, x.tensor, static_cast<int>(outs), Window{}, act, 1);
  params_[name] = {std::move(w), std::move(bias)};
  acts_[out] = {t, axes};
}
void Importer::channel_affine(const std::string& name, const std::string& from, const Value& x,
                              std::vector<float> w, std::vector<float> bias) {
  const int c = b_->shape(x.tensor).c;
  if (w.empty()) w.assign(static_cast<std::size_t>(c), 1.0f);
  if (bias.empty()) bias.assign(static_cast<std::size_t>(c), 0.0f);
  Activation act = Activation::None;
  std::string axes = x.axes;
  const std::string out = fold_following(from, c, axes, w, bias, act);
  const bool identity = act == Activation::None &&
                        std::all_of(w.begin(), w.end(), [](float v) { return v == 1; }) &&
                        std::all_of(bias.begin(), bias.end(), [](float v) { return v == 0; });
  if (identity) {
    acts_[out] = {x.tensor, axes};
    return;
  }
  const std::string lname = unique_name(name);
  const int t = b_->conv_window(lname, x.tensor, c, Window{}, act, c);
  params_[lname] = {std::move(w), std::move(bias)};
  acts_[out] = {t, axes};
}
// A transposed convolution whose kernel equals its stride (no overlap, no padding: the usual
// 2x learned upsampling) is exactly a 1x1 convolution to C_out x kH x kW channels followed by
// depth-to-space; others are refused.
void Importer::conv_transpose(const onnx::NodeProto& n) {
  const Value& x = need_act(n, 0);
  if (x.axes != "NCHW") fail(n, "input layout " + x.axes + " is not supported", "", "NCHW");
  const TensorShape in = b_->shape(x.tensor);
  const Const& wc = need_const(n, 1, "the weights [C, M, kH, kW]");
  if (wc.dims.size() != 4 || wc.dims[0] != in.c) {
    fail(n, "weights do not match the input channels", dims_text(wc.dims),
         "[" + std::to_string(in.c) + ", M, kH, kW]");
  }
  const std::int64_t cout = wc.dims[1], kh = wc.dims[2], kw = wc.dims[3];
  const auto strides = attr_ints(n, "strides");
  const auto pads = attr_ints(n, "pads");
  const auto out_pad = attr_ints(n, "output_padding");
  for (auto d : attr_ints(n, "dilations"))
    if (d != 1) fail(n, "dilated windows are not supported");
  const bool simple =
      attr_int(n, "group", 1) == 1 && strides.size() == 2 && strides[0] == kh && strides[1] == kw &&
      std::all_of(pads.begin(), pads.end(), [](auto p) { return p == 0; }) &&
      std::all_of(out_pad.begin(), out_pad.end(), [](auto p) { return p == 0; }) &&
      attr(n, "output_shape") == nullptr &&
      (attr_string(n, "auto_pad").empty() || attr_string(n, "auto_pad") == "NOTSET" ||
       attr_string(n, "auto_pad") == "VALID");
  if (!simple || cout < 1 || kh < 1 || kw < 1 || kh > 64 || kw > 64) {
    fail(n, "only a transposed convolution whose kernel equals its stride is supported",
         "kernel " + dims_text({kh, kw}) + ", strides " + dims_text(strides) + ", pads " +
             dims_text(pads),
         "group 1, strides = kernel, no padding (non-overlapping upsampling)");
  }
  // Row j = (r * kw + s) * cout + co of the 1x1 convolution: W[ci][co][r][s] over ci.
  const std::int64_t rows = cout * kh * kw;
  std::vector<float> w(static_cast<std::size_t>(rows * in.c));
  for (std::int64_t r = 0; r < kh; ++r)
    for (std::int64_t s = 0; s < kw; ++s)
      for (std::int64_t co = 0; co < cout; ++co)
        for (std::int64_t ci = 0; ci < in.c; ++ci)
          w[((r * kw + s) * cout + co) * in.c + ci] =
              static_cast<float>(wc.at(((ci * cout + co) * kh + r) * kw + s));
  std::vector<float> bias(static_cast<std::size_t>(rows), 0.0f);
  if (n.input_size() > 2 && !n.input(2).empty()) {
    const Const& bc = need_const(n, 2, "the bias [M]");
    if (bc.size() != cout)
      fail(n, "bias size differs from the output channels", dims_text(bc.dims));
    for (std::int64_t j = 0; j < rows; ++j)
      bias[j] = static_cast<float>(bc.v[j % cout]);
  }
  Activation act = Activation::None;
  std::string axes = x.axes;
  const std::string out = fold_following(n.output(0), static_cast<int>(cout), axes, w, bias, act,
                                         static_cast<int>(kh * kw));
  const std::string name = layer_name(n);
  const int t = b_->conv_window(name, x.tensor, static_cast<int>(rows), Window{}, act, 1);
  params_[name] = {std::move(w), std::move(bias)};
  names_.insert(name + "_d2s");
  acts_[out] = {b_->depth_to_space(name + "_d2s", t, static_cast<int>(kh), static_cast<int>(kw)),
                axes};
}

}  // namespace conloc::onnx_detail
