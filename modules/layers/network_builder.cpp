#include "modules/layers/network_builder.h"

#include <algorithm>
#include <cmath>

#include "modules/base/error.h"
#include "modules/layers/layer_kind.h"

namespace conloc {

NetworkBuilder::NetworkBuilder(std::string name, TensorShape input, std::string source)
    : source_(std::move(source)) {
  net_.name = std::move(name);
  if (input.h < 1 || input.w < 1 || input.c < 1) {
    fail("input", "shape", "non-positive dimension", to_string(input), "H, W, C >= 1");
  }
  if (input.elements() > kMaxTensorElements) {
    fail("input", "shape", "input too large",
         to_string(input) + " = " + std::to_string(input.elements()) + " elements",
         "at most " + std::to_string(kMaxTensorElements) + " elements");
  }
  net_.tensors.push_back(input);
}

void NetworkBuilder::fail(const std::string& layer, const std::string& field,
                          const std::string& problem, const std::string& got,
                          const std::string& expected) const {
  throw UserError(field_error(source_, "layer " + layer + ": " + field, problem, got, expected));
}

void NetworkBuilder::check_tensor(const std::string& layer, int t) const {
  if (t < 0 || t >= static_cast<int>(net_.tensors.size())) {
    fail(layer, "input", "refers to a tensor that does not exist (yet)", std::to_string(t),
         "an earlier layer's output");
  }
}

int NetworkBuilder::window_out(const std::string& layer, const char* dim, int in, int k, int stride,
                               int pad) const {
  // A window larger than the padded input has no position (integer division would hide it).
  if (in + pad < k) {
    fail(layer, std::string("kernel") + dim, "kernel larger than the padded input",
         std::to_string(k),
         "<= " + std::to_string(in + pad) + " (input " + std::to_string(in) + " + padding " +
             std::to_string(pad) + ")");
  }
  return (in + pad - k) / stride + 1;
}

std::pair<int, int> NetworkBuilder::place_window(Layer& l, const Window& win,
                                                 const TensorShape& in) const {
  if (win.kh < 1 || win.kw < 1) {
    fail(l.name, "kernel", "non-positive kernel size",
         std::to_string(win.kh) + "x" + std::to_string(win.kw), ">= 1");
  }
  if (win.stride_h < 1 || win.stride_w < 1) {
    fail(l.name, "stride", "non-positive stride",
         std::to_string(win.stride_h) + "x" + std::to_string(win.stride_w), ">= 1");
  }
  if (win.dil_h < 1 || win.dil_w < 1 || win.dil_h > 64 || win.dil_w > 64) {
    fail(l.name, "dilation", "dilation out of range",
         std::to_string(win.dil_h) + "x" + std::to_string(win.dil_w), "1..64");
  }
  if ((win.dil_h != 1 || win.dil_w != 1) && l.type != LayerType::Conv) {
    fail(l.name, "dilation", "only a convolution's window is dilated",
         std::to_string(win.dil_h) + "x" + std::to_string(win.dil_w), "1x1");
  }
  const int span_h = (win.kh - 1) * win.dil_h + 1, span_w = (win.kw - 1) * win.dil_w + 1;
  const int pads[4] = {win.pad_t, win.pad_l, win.pad_b, win.pad_r};
  // A pad as large as the kernel would give output positions that read only padding; at the
  // bottom and right, SCALE-Sim's output size (topology CSVs: ceil((H - F + S) / S)) gives a 1 x 1
  // kernel of stride 2 such a last position, so there a pad may reach the stride less one.
  const int ks[4] = {span_h, span_w, std::max(span_h, win.stride_h),
                     std::max(span_w, win.stride_w)};
  for (int i = 0; i < 4; ++i) {
    if (pads[i] < 0 || pads[i] >= ks[i]) {
      fail(l.name, "pad", "padding must be in [0, kernel)",
           std::to_string(win.pad_t) + "," + std::to_string(win.pad_l) + "," +
               std::to_string(win.pad_b) + "," + std::to_string(win.pad_r) +
               " (top, left, bottom, right)",
           "each side < the kernel's span (" + std::to_string(span_h) + "x" +
               std::to_string(span_w) + ")");
    }
  }
  l.kh = win.kh;
  l.kw = win.kw;
  l.stride_h = win.stride_h;
  l.stride_w = win.stride_w;
  l.pad_t = win.pad_t;
  l.pad_l = win.pad_l;
  l.pad_b = win.pad_b;
  l.pad_r = win.pad_r;
  l.dil_h = win.dil_h;
  l.dil_w = win.dil_w;
  return {window_out(l.name, "_h", in.h, span_h, win.stride_h, win.pad_t + win.pad_b),
          window_out(l.name, "_w", in.w, span_w, win.stride_w, win.pad_l + win.pad_r)};
}

int NetworkBuilder::source(const std::string& name, TensorShape shape) {
  if (shape.h < 1 || shape.w < 1 || shape.c < 1 || shape.elements() > kMaxTensorElements) {
    fail(name, "input", "input shape out of range", to_string(shape),
         "H, W, C >= 1 and at most " + std::to_string(kMaxTensorElements) + " elements");
  }
  net_.tensors.push_back(shape);
  return static_cast<int>(net_.tensors.size()) - 1;
}

bool layer_name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
}

int NetworkBuilder::push(Layer l, TensorShape out) {
  if (l.name.empty()) fail("(unnamed)", "name", "empty layer name", "\"\"", "a name");
  if (l.name == "input") {
    fail(l.name, "name", "reserved name (it refers to the network input)", "\"input\"",
         "another name");
  }
  for (char ch : l.name) {
    if (!layer_name_char(ch)) {
      fail(l.name, "name", "character not allowed in a layer name", std::string(1, ch),
           "letters, digits, '_', '.', '-'");
    }
  }
  if (l.name.find("..") != std::string::npos) {
    fail(l.name, "name", "'..' not allowed in a layer name", l.name, "no parent-folder step");
  }
  if (out.elements() > kMaxTensorElements) {
    fail(l.name, "output", "tensor too large",
         to_string(out) + " = " + std::to_string(out.elements()) + " elements",
         "at most " + std::to_string(kMaxTensorElements) + " elements per tensor");
  }
  if (l.on_pe_array()) {
    const std::int64_t w =
        std::int64_t{l.kh} * l.kw * (net_.tensors[l.inputs[0]].c / l.groups) * l.out_channels;
    if (w > kMaxTensorElements) {
      fail(l.name, "weights", "layer too large", std::to_string(w) + " weights",
           "at most " + std::to_string(kMaxTensorElements) + " weights per layer");
    }
  }
  for (const auto& other : net_.layers) {
    if (other.name == l.name) fail(l.name, "name", "duplicate layer name", l.name, "unique names");
  }
  if (out.h < 1 || out.w < 1 || out.c < 1) {
    fail(l.name, "output", "empty output (kernel larger than padded input?)", to_string(out),
         "H, W, C >= 1");
  }
  net_.tensors.push_back(out);
  l.output = static_cast<int>(net_.tensors.size()) - 1;
  net_.layers.push_back(std::move(l));
  return net_.layers.back().output;
}

int NetworkBuilder::conv(const std::string& name, int in, int out_channels, int k, int stride,
                         int pad, Activation act, int groups) {
  return conv2(name, in, out_channels, k, k, stride, pad, act, groups);
}

int NetworkBuilder::conv2(const std::string& name, int in, int out_channels, int kh, int kw,
                          int stride, int pad, Activation act, int groups) {
  return conv_window(name, in, out_channels, {kh, kw, stride, stride, pad, pad, pad, pad}, act,
                     groups);
}

int NetworkBuilder::conv_window(const std::string& name, int in, int out_channels,
                                const Window& win, Activation act, int groups) {
  check_tensor(name, in);
  const TensorShape s = net_.tensors[in];
  if (groups < 1 || s.c % groups != 0 || out_channels % groups != 0) {
    fail(name, "groups", "must divide input and output channels", std::to_string(groups),
         "a divisor of " + std::to_string(s.c) + " and " + std::to_string(out_channels));
  }
  if (out_channels < 1) {
    fail(name, "out_channels", "non-positive", std::to_string(out_channels), ">= 1");
  }
  if (!is_clamp(act)) {
    fail(name, "act", "a PE-array layer applies none, relu or relu6", to_string(act),
         "an `act` layer after it");
  }
  Layer l;
  l.name = name;
  l.type = LayerType::Conv;
  l.inputs = {in};
  l.groups = groups;
  l.out_channels = out_channels;
  l.act = act;
  const auto [oh, ow] = place_window(l, win, s);
  return push(l, TensorShape{oh, ow, out_channels});
}

int NetworkBuilder::fc(const std::string& name, int in, int out_features, Activation act) {
  check_tensor(name, in);
  const TensorShape s = net_.tensors[in];
  if (out_features < 1)
    fail(name, "out_features", "non-positive", std::to_string(out_features), ">= 1");
  if (!is_clamp(act)) {
    fail(name, "act", "a PE-array layer applies none, relu or relu6", to_string(act),
         "an `act` layer after it");
  }
  Layer l;
  l.name = name;
  l.type = LayerType::FullyConnected;
  l.inputs = {in};
  l.kh = s.h;
  l.kw = s.w;
  l.out_channels = out_features;
  l.act = act;
  return push(l, TensorShape{1, 1, out_features});
}

int NetworkBuilder::max_pool(const std::string& name, int in, int k, int stride, int pad) {
  return pool(name, LayerType::MaxPool, in, Window::square(k, stride, pad));
}

int NetworkBuilder::avg_pool(const std::string& name, int in, int k, int stride, int pad) {
  return pool(name, LayerType::AvgPool, in, Window::square(k, stride, pad));
}

int NetworkBuilder::pool(const std::string& name, LayerType type, int in, const Window& win) {
  check_tensor(name, in);
  CONLOC_ASSERT(type == LayerType::MaxPool || type == LayerType::AvgPool, "network builder",
                "pool() builds max or average pooling");
  const TensorShape s = net_.tensors[in];
  Layer l;
  l.name = name;
  l.type = type;
  l.inputs = {in};
  const auto [oh, ow] = place_window(l, win, s);
  return push(l, TensorShape{oh, ow, s.c});
}

int NetworkBuilder::global_avg_pool(const std::string& name, int in) {
  check_tensor(name, in);
  const TensorShape s = net_.tensors[in];
  Layer l;
  l.name = name;
  l.type = LayerType::GlobalAvgPool;
  l.inputs = {in};
  l.kh = s.h;
  l.kw = s.w;
  return push(l, TensorShape{1, 1, s.c});
}

TensorShape NetworkBuilder::same_shapes(const std::string& layer, int a, int b) const {
  check_tensor(layer, a);
  check_tensor(layer, b);
  const TensorShape sa = net_.tensors[a], sb = net_.tensors[b];
  if (sa.h != sb.h || sa.w != sb.w || sa.c != sb.c) {
    fail(layer, "inputs", "shapes differ", to_string(sa) + " vs " + to_string(sb), "equal shapes");
  }
  return sa;
}

int NetworkBuilder::add(const std::string& name, int a, int b, Activation act) {
  const TensorShape sa = same_shapes(name, a, b);
  if (!is_clamp(act)) {
    fail(name, "act", "an add applies none, relu or relu6", to_string(act),
         "an `act` layer after it");
  }
  Layer l;
  l.name = name;
  l.type = LayerType::Add;
  l.inputs = {a, b};
  l.act = act;
  return push(l, sa);
}

int NetworkBuilder::mul(const std::string& name, int a, int b) {
  check_tensor(name, a);
  check_tensor(name, b);
  const TensorShape sa = net_.tensors[a], sb = net_.tensors[b];
  const bool same = sa.h == sb.h && sa.w == sb.w && sa.c == sb.c;
  const bool per_channel = sb.h == 1 && sb.w == 1 && sb.c == sa.c;
  if (!same && !per_channel) {
    fail(name, "inputs", "shapes do not multiply", to_string(sa) + " by " + to_string(sb),
         "equal shapes, or the second 1x1x" + std::to_string(sa.c));
  }
  Layer l;
  l.name = name;
  l.type = LayerType::Mul;
  l.inputs = {a, b};
  return push(l, sa);
}

int NetworkBuilder::elementwise(const std::string& name, LayerType type,
                                const std::vector<int>& ins) {
  const LayerKind& kind = layer_kind(type);
  CONLOC_ASSERT(kind.arity > 0, "network builder",
                "layer type " + kind.name + " has parameters and its own builder function");
  if (static_cast<int>(ins.size()) != kind.arity) {
    fail(name, "inputs", "wrong number of inputs for " + kind.name, std::to_string(ins.size()),
         std::to_string(kind.arity));
  }
  for (int t : ins)
    check_tensor(name, t);
  const TensorShape shape =
      kind.arity == 2 ? same_shapes(name, ins[0], ins[1]) : net_.tensors[ins[0]];
  Layer l;
  l.name = name;
  l.type = type;
  l.inputs = ins;
  return push(l, shape);
}

int NetworkBuilder::act(const std::string& name, int in, Activation fn, double alpha, double beta,
                        double gain, double offset) {
  check_tensor(name, in);
  if (fn == Activation::None)
    fail(name, "act", "an act layer needs a function", "none",
         "one of relu, relu6, hardswish, hardsigmoid, sigmoid, leakyrelu");
  if (!std::isfinite(alpha) || !std::isfinite(beta) || std::abs(alpha) > 1e6 ||
      std::abs(beta) > 1e6) {
    fail(name, "alpha/beta", "not a finite parameter",
         std::to_string(alpha) + "/" + std::to_string(beta), "finite numbers of magnitude <= 1e6");
  }
  Layer l;
  l.name = name;
  l.type = LayerType::Act;
  l.inputs = {in};
  l.act = fn;
  l.alpha = alpha;
  l.beta = beta;
  if (!std::isfinite(gain) || !std::isfinite(offset) || gain == 0.0 || std::abs(gain) > 1e6 ||
      std::abs(offset) > 1e6) {
    fail(name, "gain/offset", "not a usable output affine",
         std::to_string(gain) + "/" + std::to_string(offset),
         "a non-zero gain and an offset, finite, of magnitude <= 1e6");
  }
  l.gain = gain;
  l.offset = offset;
  return push(l, net_.tensors[in]);
}

int NetworkBuilder::concat(const std::string& name, const std::vector<int>& ins) {
  if (ins.size() < 2 || ins.size() > 64) {
    fail(name, "inputs", "a concat joins 2 to 64 tensors", std::to_string(ins.size()), "2..64");
  }
  Layer l;
  l.name = name;
  l.type = LayerType::Concat;
  TensorShape out = net_.tensors.at(0);
  int channels = 0;
  for (int t : ins) {
    check_tensor(name, t);
    const TensorShape s = net_.tensors[t];
    if (channels > 0 && (s.h != out.h || s.w != out.w)) {
      fail(name, "inputs", "sizes differ",
           std::to_string(s.h) + "x" + std::to_string(s.w) + " vs " + std::to_string(out.h) + "x" +
               std::to_string(out.w),
           "equal height and width");
    }
    out = s;
    channels += s.c;
    l.inputs.push_back(t);
  }
  out.c = channels;
  return push(l, out);
}

int NetworkBuilder::upsample(const std::string& name, int in, int scale_h, int scale_w) {
  check_tensor(name, in);
  if (scale_h < 1 || scale_w < 1 || scale_h > 64 || scale_w > 64) {
    fail(name, "scale", "out of range", std::to_string(scale_h) + "x" + std::to_string(scale_w),
         "integers 1..64");
  }
  const TensorShape s = net_.tensors[in];
  Layer l;
  l.name = name;
  l.type = LayerType::Upsample;
  l.inputs = {in};
  l.scale_h = scale_h;
  l.scale_w = scale_w;
  return push(l, TensorShape{s.h * scale_h, s.w * scale_w, s.c});
}

int NetworkBuilder::layer_norm(const std::string& name, int in, double eps) {
  check_tensor(name, in);
  if (!(eps > 0 && eps <= 1)) {
    fail(name, "eps", "must be a small positive number", std::to_string(eps), "in (0, 1]");
  }
  Layer l;
  l.name = name;
  l.type = find_layer_kind("layernorm")->type;
  l.inputs = {in};
  l.alpha = eps;
  return push(l, net_.tensors[in]);
}

int NetworkBuilder::shuffle(const std::string& name, int in, int groups) {
  check_tensor(name, in);
  const TensorShape s = net_.tensors[in];
  if (groups < 2 || s.c % groups != 0) {
    fail(name, "groups", "must divide the channels into at least two groups",
         std::to_string(groups), "a divisor of " + std::to_string(s.c) + " from 2");
  }
  Layer l;
  l.name = name;
  l.type = find_layer_kind("shuffle")->type;
  l.inputs = {in};
  l.groups = groups;
  return push(l, s);
}

int NetworkBuilder::slice(const std::string& name, int in, int channel0, int channels) {
  check_tensor(name, in);
  TensorShape s = net_.tensors[in];
  if (channel0 < 0 || channel0 >= s.c) {
    fail(name, "channel_start", "must be a channel of the input", std::to_string(channel0),
         "0.." + std::to_string(s.c - 1));
  }
  if (channels < 1 || channels > s.c - channel0) {
    fail(name, "out_channels", "must fit in the input after channel_start",
         std::to_string(channels), "1.." + std::to_string(s.c - channel0));
  }
  Layer l;
  l.name = name;
  l.type = find_layer_kind("slice")->type;
  l.inputs = {in};
  l.channel0 = channel0;
  s.c = channels;
  return push(l, s);
}

int NetworkBuilder::bilinear(const std::string& name, int in, int out_h, int out_w,
                             bool align_corners) {
  check_tensor(name, in);
  TensorShape s = net_.tensors[in];
  if (out_h < 1 || out_w < 1 || out_h > (1 << 14) || out_w > (1 << 14)) {
    fail(name, "size", "out of range", std::to_string(out_h) + "x" + std::to_string(out_w),
         "1..16384 each");
  }
  Layer l;
  l.name = name;
  l.type = find_layer_kind("bilinear")->type;
  l.inputs = {in};
  l.align_corners = align_corners;
  s.h = out_h;
  s.w = out_w;
  return push(l, s);
}

int NetworkBuilder::depth_to_space(const std::string& name, int in, int block_h, int block_w) {
  check_tensor(name, in);
  const TensorShape s = net_.tensors[in];
  if (block_h < 1 || block_w < 1 || block_h > 64 || block_w > 64 || s.c % (block_h * block_w)) {
    fail(name, "block", "must divide the channels",
         std::to_string(block_h) + "x" + std::to_string(block_w),
         "blocks of 1..64 whose product divides " + std::to_string(s.c));
  }
  Layer l;
  l.name = name;
  l.type = LayerType::DepthToSpace;
  l.inputs = {in};
  l.scale_h = block_h;
  l.scale_w = block_w;
  return push(l, TensorShape{s.h * block_h, s.w * block_w, s.c / (block_h * block_w)});
}

int NetworkBuilder::relu(const std::string& name, int in, Activation act) {
  check_tensor(name, in);
  Layer l;
  l.name = name;
  l.type = LayerType::Relu;
  l.inputs = {in};
  l.act = act;
  return push(l, net_.tensors[in]);
}

Network NetworkBuilder::build() {
  if (net_.layers.empty()) throw UserError(field_error(source_, "layers", "network has no layers"));
  return net_;
}

}  // namespace conloc
