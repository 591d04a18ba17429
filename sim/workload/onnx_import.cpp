#include "sim/workload/onnx_import.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <map>
#include <onnx/onnx_pb.h>
#include <optional>
#include <set>

#include "modules/base/error.h"
#include "modules/layers/layer_kind.h"
#include "modules/layers/network_builder.h"
#include "sim/common/file_io.h"

namespace conloc {

namespace {

// Weights of the imported PE-array layers, by layer name, already in the accelerator's layout.
class OnnxWeights final : public WeightSource {
 public:
  OnnxWeights(std::string file, std::map<std::string, FloatLayerParams> params, std::uint64_t seed)
      : file_(std::move(file)), params_(std::move(params)), seed_(seed), input_(seed) {}
  std::string description() const override {
    return "trained weights from " + file_ + " (ONNX); input: a smooth synthetic image (seed " +
           std::to_string(seed_) + ")";
  }
  FloatLayerParams layer_params(const Network& net, std::size_t layer_index) const override {
    const auto it = params_.find(net.layers.at(layer_index).name);
    CONLOC_ASSERT(it != params_.end(), "onnx import", "no weights for a PE-array layer");
    return it->second;
  }
  std::vector<float> input(const Network& net, int image = 0) const override {
    return input_.input(net, image);
  }

 private:
  std::string file_;
  std::map<std::string, FloatLayerParams> params_;
  std::uint64_t seed_;
  SyntheticWeights input_;  // the input image only: a model file carries no data
};

// A constant tensor (initializer, Constant node, or folded from constants), values as doubles.
struct Const {
  std::vector<std::int64_t> dims;
  std::vector<double> v;
  std::int64_t size() const { return static_cast<std::int64_t>(v.size()); }
};

// An activation: one tensor of the network being built, seen through ONNX's axes. Rank 4: a
// permutation of N, C, H, W; rank 2 ("NF"): the tensor flattened in CHW order.
struct Value {
  int tensor = -1;
  std::string axes = "NCHW";
};

constexpr std::int64_t kMaxConstElements = std::int64_t{1} << 28;

// clang-format off
const std::set<std::string> kSupported = {
    "Conv", "ConvTranspose", "Gemm", "MatMul", "BatchNormalization",
    "MaxPool", "AveragePool", "GlobalAveragePool", "ReduceMean",
    "Add", "Sub", "Mul", "Div", "Concat", "Resize", "Upsample",
    "Relu", "Clip", "LeakyRelu", "HardSigmoid", "HardSwish", "Sigmoid", "Softmax",
    "Reshape", "Flatten", "Transpose", "Squeeze", "Unsqueeze", "Identity", "Dropout",
    "Constant", "Shape", "Cast", "Slice", "Gather"};
// clang-format on

class Importer {
 public:
  Importer(std::string file, const onnx::GraphProto& g, std::vector<std::int64_t> input_shape)
      : file_(std::move(file)), g_(g), input_shape_(std::move(input_shape)) {
    for (int i = 0; i < g_.node_size(); ++i)
      index_[&g_.node(i)] = i;
  }

  OnnxImport run(std::uint64_t seed);

 private:
  [[noreturn]] void fail(const onnx::NodeProto& n, const std::string& problem,
                         const std::string& got = "", const std::string& expected = "") const {
    throw_field_error(file_, where(n), problem, got, expected);
  }
  std::string where(const onnx::NodeProto& n) const {
    return "node " +
           (n.name().empty() ? "#" + std::to_string(index_of(n)) : "\"" + n.name() + "\"") + " (" +
           n.op_type() + ")";
  }
  int index_of(const onnx::NodeProto& n) const { return index_.at(&n); }

  // Graph structure.
  void check_ops() const;
  void sort_nodes();
  int consumers(const std::string& name) const {
    const auto it = consumers_.find(name);
    return it == consumers_.end() ? 0 : static_cast<int>(it->second.size());
  }
  // The only node reading `name`, when exactly one does and it is not a graph output.
  const onnx::NodeProto* sole_consumer(const std::string& name) const {
    if (consumers(name) != 1 || outputs_.count(name)) return nullptr;
    return &g_.node(consumers_.at(name).front());
  }

  // Values.
  Const tensor_const(const onnx::TensorProto& t, const std::string& where) const;
  const Const* const_of(const std::string& name) const {
    const auto it = consts_.find(name);
    return it == consts_.end() ? nullptr : &it->second;
  }
  const Const& need_const(const onnx::NodeProto& n, int input, const std::string& what) const;
  const Value& need_act(const onnx::NodeProto& n, int input) const;
  std::vector<std::int64_t> dims_of(const Value& v) const;
  std::string layer_name(const onnx::NodeProto& n);

  // Attributes.
  const onnx::AttributeProto* attr(const onnx::NodeProto& n, const std::string& name) const {
    for (const auto& a : n.attribute())
      if (a.name() == name) return &a;
    return nullptr;
  }
  std::int64_t attr_int(const onnx::NodeProto& n, const std::string& name, std::int64_t def) const {
    const auto* a = attr(n, name);
    return a ? a->i() : def;
  }
  float attr_float(const onnx::NodeProto& n, const std::string& name, float def) const {
    const auto* a = attr(n, name);
    return a ? a->f() : def;
  }
  std::vector<std::int64_t> attr_ints(const onnx::NodeProto& n, const std::string& name) const {
    const auto* a = attr(n, name);
    return a ? std::vector<std::int64_t>(a->ints().begin(), a->ints().end())
             : std::vector<std::int64_t>{};
  }
  std::string attr_string(const onnx::NodeProto& n, const std::string& name) const {
    const auto* a = attr(n, name);
    return a ? a->s() : std::string();
  }

  // Ops.
  void import_node(const onnx::NodeProto& n);
  bool fold_constants(const onnx::NodeProto& n);
  void conv(const onnx::NodeProto& n);
  void fully_connected(const onnx::NodeProto& n);
  void pool(const onnx::NodeProto& n);
  void conv_transpose(const onnx::NodeProto& n);
  void resize(const onnx::NodeProto& n);
  void concat(const onnx::NodeProto& n);
  // An op a parameter-free layer kind imports (LayerKind::onnx_ops): its inputs, of one shape.
  void elementwise(const onnx::NodeProto& n, const LayerKind& kind);
  void binary(const onnx::NodeProto& n);
  void reshape(const onnx::NodeProto& n);
  // Folds the per-channel affine ops and the clamp that follow a PE-array layer's output `out`
  // (BatchNormalization, Add/Sub/Mul/Div by a constant, Relu, Clip) into its weights, bias and
  // activation; returns the name of the last folded output.
  // Rows of w and bias repeat the channels `repeat` times (row j is channel j % channels).
  std::string fold_following(std::string out, int channels, std::vector<float>& w,
                             std::vector<float>& bias, Activation& act, int repeat = 1);
  std::optional<Activation> clamp_of(const onnx::NodeProto& n) const;
  // Folds Add/Sub/Mul/Div by a scalar constant after an activation's output `out` into its
  // output gain and offset (the lookup table absorbs them exactly); returns the last output.
  std::string fold_affine(std::string out, double& gain, double& offset);
  bool hardswish(const onnx::NodeProto& add);
  Window window(const onnx::NodeProto& n, int in_h, int in_w, int kh, int kw, bool ceil) const;

  std::string file_;
  const onnx::GraphProto& g_;
  std::vector<std::int64_t> input_shape_;
  std::map<const onnx::NodeProto*, int> index_;
  std::vector<int> order_;
  std::map<std::string, std::vector<int>> consumers_;
  std::set<std::string> outputs_;
  std::map<std::string, Const> consts_;
  std::map<std::string, Value> acts_;
  std::set<int> done_;  // nodes folded into an earlier one
  std::set<std::string> names_;
  std::optional<NetworkBuilder> b_;
  std::map<std::string, FloatLayerParams> params_;
  std::vector<std::string> notes_;
};

Const Importer::tensor_const(const onnx::TensorProto& t, const std::string& where) const {
  Const c;
  std::int64_t n = 1;
  for (auto d : t.dims()) {
    if (d < 0 || (d > 0 && n > kMaxConstElements / d)) {
      throw_field_error(file_, where, "tensor too large or negative dimension",
                        dims_text({t.dims().begin(), t.dims().end()}),
                        "at most " + std::to_string(kMaxConstElements) + " elements");
    }
    n *= d;
    c.dims.push_back(d);
  }
  if (t.data_location() == onnx::TensorProto::EXTERNAL) {
    throw_field_error(file_, where, "weights stored in an external file are not supported", "",
                      "weights inside the .onnx file");
  }
  const std::string& raw = t.raw_data();
  auto take = [&](auto tag, const auto& field) {
    using T = decltype(tag);
    if (!raw.empty()) {
      if (raw.size() != static_cast<std::size_t>(n) * sizeof(T)) {
        throw_field_error(file_, where, "raw data size does not match the dimensions",
                          std::to_string(raw.size()) + " bytes",
                          std::to_string(n * static_cast<std::int64_t>(sizeof(T))) + " bytes");
      }
      c.v.resize(static_cast<std::size_t>(n));
      for (std::int64_t i = 0; i < n; ++i) {
        T x;
        std::memcpy(&x, raw.data() + i * sizeof(T), sizeof(T));
        c.v[static_cast<std::size_t>(i)] = static_cast<double>(x);
      }
    } else {
      if (field.size() != n) {
        throw_field_error(file_, where, "value count does not match the dimensions",
                          std::to_string(field.size()), std::to_string(n));
      }
      c.v.assign(field.begin(), field.end());
    }
  };
  switch (t.data_type()) {
    case onnx::TensorProto::FLOAT:
      take(float{}, t.float_data());
      break;
    case onnx::TensorProto::DOUBLE:
      take(double{}, t.double_data());
      break;
    case onnx::TensorProto::INT64:
      take(std::int64_t{}, t.int64_data());
      break;
    case onnx::TensorProto::INT32:
      take(std::int32_t{}, t.int32_data());
      break;
    default:
      throw_field_error(
          file_, where, "unsupported tensor data type",
          onnx::TensorProto::DataType_Name(static_cast<onnx::TensorProto::DataType>(t.data_type())),
          "FLOAT, DOUBLE, INT64 or INT32");
  }
  for (double x : c.v) {
    if (!std::isfinite(x)) {
      throw_field_error(file_, where, "tensor holds NaN or Inf", "", "finite values");
    }
  }
  return c;
}

void Importer::check_ops() const {
  // Every unsupported op at once, before anything is built.
  std::map<std::string, std::vector<std::string>> bad;
  for (const auto& n : g_.node()) {
    if (n.output_size() < 1 || n.output(0).empty()) fail(n, "node without an output");
    const bool ok = (n.domain().empty() || n.domain() == "ai.onnx") &&
                    (kSupported.count(n.op_type()) || find_onnx_kind(n.op_type()));
    if (!ok) {
      auto& at = bad[(n.domain().empty() ? "" : n.domain() + ".") + n.op_type()];
      if (at.size() < 3)
        at.push_back(n.name().empty() ? "#" + std::to_string(index_of(n)) : n.name());
      else if (at.size() == 3)
        at.push_back("...");
    }
  }
  if (bad.empty()) return;
  std::string list;
  for (const auto& [op, where] : bad) {
    std::string nodes;
    for (const auto& w : where)
      nodes += (nodes.empty() ? "" : ", ") + w;
    list += (list.empty() ? "" : "; ") + op + " (" + nodes + ")";
  }
  throw_field_error(file_, "graph", "unsupported ops", list,
                    "ops the tool maps (docs/workloads.md): Conv, Gemm, MatMul, "
                    "BatchNormalization, pooling, Add, Mul, activations, shape ops");
}

void Importer::sort_nodes() {
  // Kahn's algorithm on the node graph; ONNX requires topological order, but a file may lie.
  std::map<std::string, int> producer;
  for (int i = 0; i < g_.node_size(); ++i) {
    for (const auto& o : g_.node(i).output()) {
      if (!o.empty()) producer[o] = i;
    }
  }
  std::vector<int> pending(static_cast<std::size_t>(g_.node_size()), 0);
  std::vector<std::vector<int>> next(static_cast<std::size_t>(g_.node_size()));
  for (int i = 0; i < g_.node_size(); ++i) {
    for (const auto& in : g_.node(i).input()) {
      if (in.empty()) continue;
      consumers_[in].push_back(i);
      const auto p = producer.find(in);
      if (p != producer.end()) {
        ++pending[i];
        next[static_cast<std::size_t>(p->second)].push_back(i);
      }
    }
  }
  std::vector<int> ready;
  for (int i = g_.node_size() - 1; i >= 0; --i)
    if (pending[i] == 0) ready.push_back(i);
  while (!ready.empty()) {
    // Lowest index first: the file's order where it is already topological.
    std::sort(ready.begin(), ready.end(), std::greater<>());
    const int i = ready.back();
    ready.pop_back();
    order_.push_back(i);
    for (int j : next[static_cast<std::size_t>(i)])
      if (--pending[j] == 0) ready.push_back(j);
  }
  if (order_.size() != static_cast<std::size_t>(g_.node_size())) {
    for (int i = 0; i < g_.node_size(); ++i) {
      if (pending[i] > 0) fail(g_.node(i), "the graph has a cycle through this node");
    }
  }
}

const Const& Importer::need_const(const onnx::NodeProto& n, int input,
                                  const std::string& what) const {
  if (input >= n.input_size() || n.input(input).empty()) {
    fail(n, "missing input " + std::to_string(input), "", what);
  }
  const Const* c = const_of(n.input(input));
  if (!c) {
    if (acts_.count(n.input(input))) {
      fail(n, "input \"" + n.input(input) + "\" must be a constant", "a computed tensor", what);
    }
    fail(n, "input \"" + n.input(input) + "\" not found", "",
         "an initializer, a Constant node or an earlier node's output");
  }
  return *c;
}

const Value& Importer::need_act(const onnx::NodeProto& n, int input) const {
  if (input >= n.input_size() || n.input(input).empty()) fail(n, "missing input");
  const auto it = acts_.find(n.input(input));
  if (it == acts_.end()) {
    if (consts_.count(n.input(input))) {
      fail(n, "input \"" + n.input(input) + "\" is a constant", "",
           "a tensor computed from the network input");
    }
    fail(n, "input \"" + n.input(input) + "\" not found", "",
         "the graph input, an initializer or an earlier node's output");
  }
  return it->second;
}

std::vector<std::int64_t> Importer::dims_of(const Value& v) const {
  const TensorShape& s = b_->shape(v.tensor);
  std::vector<std::int64_t> d;
  for (char a : v.axes) {
    d.push_back(a == 'N' ? 1 : a == 'C' ? s.c : a == 'H' ? s.h : a == 'W' ? s.w : s.elements());
  }
  return d;
}

std::string Importer::layer_name(const onnx::NodeProto& n) {
  std::string base = n.name().empty() ? n.op_type() + "_" + std::to_string(index_of(n)) : n.name();
  for (char& ch : base) {
    if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '_' && ch != '-') ch = '_';
  }
  if (base == "input") base = "input_";
  std::string name = base;
  for (int k = 2; names_.count(name); ++k)
    name = base + "_" + std::to_string(k);
  names_.insert(name);
  return name;
}

Window Importer::window(const onnx::NodeProto& n, int in_h, int in_w, int kh, int kw,
                        bool ceil) const {
  for (auto d : attr_ints(n, "dilations")) {
    if (d != 1)
      fail(n, "dilated windows are not supported", dims_text(attr_ints(n, "dilations")),
           "dilations 1");
  }
  Window w{kh, kw, 1, 1, 0, 0, 0, 0};
  const auto strides = attr_ints(n, "strides");
  if (!strides.empty()) {
    if (strides.size() != 2) fail(n, "strides", dims_text(strides), "two strides (2-D)");
    w.stride_h = static_cast<int>(strides[0]);
    w.stride_w = static_cast<int>(strides[1]);
  }
  if (w.stride_h < 1 || w.stride_w < 1 || w.stride_h > 64 || w.stride_w > 64) {
    fail(n, "stride out of range", dims_text(strides), "1..64");
  }
  const std::string auto_pad = attr_string(n, "auto_pad");
  if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
    auto same = [&](int in, int k, int s, int& begin, int& end) {
      const int out = (in + s - 1) / s;
      const int total = std::max(0, (out - 1) * s + k - in);
      begin = auto_pad == "SAME_UPPER" ? total / 2 : total - total / 2;
      end = total - begin;
    };
    same(in_h, kh, w.stride_h, w.pad_t, w.pad_b);
    same(in_w, kw, w.stride_w, w.pad_l, w.pad_r);
  } else if (auto_pad.empty() || auto_pad == "NOTSET") {
    const auto pads = attr_ints(n, "pads");
    if (!pads.empty()) {
      if (pads.size() != 4) fail(n, "pads", dims_text(pads), "four values (2-D)");
      for (auto p : pads)
        if (p < 0 || p > 63) fail(n, "padding out of range", dims_text(pads), "0..63");
      w.pad_t = static_cast<int>(pads[0]);
      w.pad_l = static_cast<int>(pads[1]);
      w.pad_b = static_cast<int>(pads[2]);
      w.pad_r = static_cast<int>(pads[3]);
    }
  } else if (auto_pad != "VALID") {
    fail(n, "unknown auto_pad", auto_pad, "NOTSET, SAME_UPPER, SAME_LOWER or VALID");
  }
  if (ceil) {
    // Ceil mode: pad the end so that the floor formula gives the last partial window.
    auto extra = [](int in, int k, int s, int pads) {
      const int span = in + pads - k;
      return span >= 0 && span % s ? s - span % s : 0;
    };
    w.pad_b += extra(in_h, kh, w.stride_h, w.pad_t + w.pad_b);
    w.pad_r += extra(in_w, kw, w.stride_w, w.pad_l + w.pad_r);
  }
  return w;
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

// A constant that applies per channel to a tensor of `channels` channels in NCHW: a scalar, or
// C values shaped [C], [C,1,1], [1,C,1,1] (or [1,C] for a flat tensor). Empty when it is not.
std::vector<double> per_channel(const Const& c, int channels) {
  if (c.size() == 1) return std::vector<double>(static_cast<std::size_t>(channels), c.v[0]);
  if (c.size() != channels) return {};
  int non_one = 0;
  for (auto d : c.dims)
    non_one += d != 1;
  if (non_one > 1) return {};
  // The channel axis: the last of [C], [1,C]; the one before H, W otherwise.
  const std::size_t r = c.dims.size();
  const bool ok = r == 1 || (r == 2 && c.dims[0] == 1) ||
                  (r >= 3 && c.dims[r - 3] == channels && c.dims[r - 1] == 1 && c.dims[r - 2] == 1);
  return ok ? c.v : std::vector<double>{};
}

std::string Importer::fold_following(std::string out, int channels, std::vector<float>& w,
                                     std::vector<float>& bias, Activation& act, int repeat) {
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
  while (const onnx::NodeProto* n = sole_consumer(out)) {
    if (act != Activation::None) break;  // nothing folds past the clamp
    const std::string op = n->op_type();
    if (op == "BatchNormalization") {
      if (n->input(0) != out || n->input_size() < 5) break;
      const double eps = attr_float(*n, "epsilon", 1e-5f);
      std::vector<double> p[4];
      for (int i = 0; i < 4; ++i) {
        p[i] = per_channel(need_const(*n, i + 1, "a per-channel constant"), channels);
        if (p[i].empty()) fail(*n, "parameter " + std::to_string(i + 1) + " is not per channel");
      }
      std::vector<double> s(static_cast<std::size_t>(channels));
      for (int c = 0; c < channels; ++c) {
        if (p[3][c] + eps <= 0) fail(*n, "negative variance");
        s[c] = p[0][c] / std::sqrt(p[3][c] + eps);
      }
      shift(p[2], -1.0);
      scale(s);
      shift(p[1], 1.0);
    } else if (op == "Add" || op == "Sub" || op == "Mul" || op == "Div") {
      const int other = n->input(0) == out ? 1 : 0;
      if (n->input_size() != 2 || n->input(1 - other) != out) break;
      const Const* c = const_of(n->input(other));
      if (!c) break;
      std::vector<double> k = per_channel(*c, channels);
      if (k.empty()) break;
      if (op == "Sub" && other == 0) break;  // const - x: a negation, not folded
      if (op == "Div" && other == 0) break;
      if (op == "Add" || op == "Sub") {
        shift(k, op == "Add" ? 1.0 : -1.0);
      } else {
        if (op == "Div") {
          for (auto& x : k) {
            if (x == 0) fail(*n, "division by zero");
            x = 1.0 / x;
          }
        }
        scale(k);
      }
      // An Add of 3 that starts a HardSwish reads the output twice: not a plain affine.
    } else if (auto a = clamp_of(*n)) {
      act = *a;
    } else {
      break;
    }
    done_.insert(index_of(*n));
    out = n->output(0);
  }
  return out;
}

void Importer::conv(const onnx::NodeProto& n) {
  const Value& x = need_act(n, 0);
  if (x.axes != "NCHW") fail(n, "input layout " + x.axes + " is not supported", "", "NCHW");
  const Const& wc = need_const(n, 1, "the weights [M, C/group, kH, kW]");
  const TensorShape in = b_->shape(x.tensor);
  if (wc.dims.size() != 4)
    fail(n, "weights are not 4-D", dims_text(wc.dims), "[M, C/group, kH, kW]");
  const int groups = static_cast<int>(attr_int(n, "group", 1));
  const std::int64_t m = wc.dims[0], cin_g = wc.dims[1], kh = wc.dims[2], kw = wc.dims[3];
  if (groups < 1 || cin_g * groups != in.c) {
    fail(n, "weights do not match the input channels", dims_text(wc.dims),
         "[M, " + std::to_string(groups > 0 ? in.c / groups : in.c) + ", kH, kW] for " +
             std::to_string(in.c) + " input channels in " + std::to_string(groups) + " groups");
  }
  if (m < 1 || m > (1 << 16) || kh < 1 || kw < 1 || kh > 64 || kw > 64) {
    fail(n, "weights out of range", dims_text(wc.dims), "M <= 65536, kernels 1..64");
  }
  const auto ks = attr_ints(n, "kernel_shape");
  if (!ks.empty() && (ks.size() != 2 || ks[0] != kh || ks[1] != kw)) {
    fail(n, "kernel_shape differs from the weights", dims_text(ks), dims_text({kh, kw}));
  }
  // [M][C/g][kh][kw] -> [G][N][K] with k = (r * kw + s) * cin_g + ci.
  std::vector<float> w(static_cast<std::size_t>(wc.size()));
  for (std::int64_t o = 0; o < m; ++o)
    for (std::int64_t ci = 0; ci < cin_g; ++ci)
      for (std::int64_t r = 0; r < kh; ++r)
        for (std::int64_t s = 0; s < kw; ++s)
          w[o * cin_g * kh * kw + (r * kw + s) * cin_g + ci] =
              static_cast<float>(wc.v[((o * cin_g + ci) * kh + r) * kw + s]);
  std::vector<float> bias(static_cast<std::size_t>(m), 0.0f);
  if (n.input_size() > 2 && !n.input(2).empty()) {
    const Const& bc = need_const(n, 2, "the bias [M]");
    if (bc.size() != m)
      fail(n, "bias size differs from the output channels", dims_text(bc.dims), std::to_string(m));
    for (std::int64_t i = 0; i < m; ++i)
      bias[i] = static_cast<float>(bc.v[i]);
  }
  Activation act = Activation::None;
  const std::string out = fold_following(n.output(0), static_cast<int>(m), w, bias, act);
  const Window win = window(n, in.h, in.w, static_cast<int>(kh), static_cast<int>(kw), false);
  const std::string name = layer_name(n);
  const int t = b_->conv_window(name, x.tensor, static_cast<int>(m), win, act, groups);
  params_[name] = {std::move(w), std::move(bias)};
  acts_[out] = {t, "NCHW"};
}

void Importer::fully_connected(const onnx::NodeProto& n) {
  const Value& x = need_act(n, 0);
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
          w[o * k + kk] = static_cast<float>(alpha * bc.v[trans_b ? o * k + f : f * outs + o]);
        }
  std::vector<float> bias(static_cast<std::size_t>(outs), 0.0f);
  if (n.op_type() == "Gemm" && n.input_size() > 2 && !n.input(2).empty()) {
    const std::vector<double> c =
        per_channel(need_const(n, 2, "the bias [N]"), static_cast<int>(outs));
    if (c.empty())
      fail(n, "bias is not one value per output", dims_text(need_const(n, 2, "").dims), "[N]");
    for (std::int64_t i = 0; i < outs; ++i)
      bias[i] = static_cast<float>(beta * c[i]);
  }
  Activation act = Activation::None;
  const std::string out = fold_following(n.output(0), static_cast<int>(outs), w, bias, act);
  const std::string name = layer_name(n);
  const int t = b_->fc(name, x.tensor, static_cast<int>(outs), act);
  params_[name] = {std::move(w), std::move(bias)};
  acts_[out] = {t, "NF"};
}

void Importer::pool(const onnx::NodeProto& n) {
  const Value& x = need_act(n, 0);
  if (x.axes != "NCHW") fail(n, "input layout " + x.axes + " is not supported", "", "NCHW");
  const TensorShape in = b_->shape(x.tensor);
  const std::string name = layer_name(n);
  if (n.op_type() == "GlobalAveragePool") {
    acts_[n.output(0)] = {b_->global_avg_pool(name, x.tensor), "NCHW"};
    return;
  }
  const auto ks = attr_ints(n, "kernel_shape");
  if (ks.size() != 2) fail(n, "kernel_shape", dims_text(ks), "two sizes (2-D)");
  if (ks[0] < 1 || ks[1] < 1 || ks[0] > 64 || ks[1] > 64)
    fail(n, "kernel out of range", dims_text(ks), "1..64");
  if (n.output_size() > 1 && !n.output(1).empty()) fail(n, "the Indices output is not supported");
  const bool ceil = attr_int(n, "ceil_mode", 0) != 0;
  const Window win = window(n, in.h, in.w, static_cast<int>(ks[0]), static_cast<int>(ks[1]), ceil);
  const bool avg = n.op_type() == "AveragePool";
  if (avg && (win.pad_t || win.pad_l || win.pad_b || win.pad_r) &&
      attr_int(n, "count_include_pad", 0) == 0) {
    notes_.push_back(name + " (AveragePool): windows at padded borders divide by the full window " +
                     "(ONNX: by the values inside, count_include_pad = 0)");
  }
  acts_[n.output(0)] = {
      b_->pool(name, avg ? LayerType::AvgPool : LayerType::MaxPool, x.tensor, win), "NCHW"};
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
              static_cast<float>(wc.v[((ci * cout + co) * kh + r) * kw + s]);
  std::vector<float> bias(static_cast<std::size_t>(rows), 0.0f);
  if (n.input_size() > 2 && !n.input(2).empty()) {
    const Const& bc = need_const(n, 2, "the bias [M]");
    if (bc.size() != cout)
      fail(n, "bias size differs from the output channels", dims_text(bc.dims));
    for (std::int64_t j = 0; j < rows; ++j)
      bias[j] = static_cast<float>(bc.v[j % cout]);
  }
  Activation act = Activation::None;
  const std::string out =
      fold_following(n.output(0), static_cast<int>(cout), w, bias, act, static_cast<int>(kh * kw));
  const std::string name = layer_name(n);
  const int t = b_->conv_window(name, x.tensor, static_cast<int>(rows), Window{}, act, 1);
  params_[name] = {std::move(w), std::move(bias)};
  names_.insert(name + "_d2s");
  acts_[out] = {b_->depth_to_space(name + "_d2s", t, static_cast<int>(kh), static_cast<int>(kw)),
                "NCHW"};
}

// Nearest-neighbour resizing by whole factors, where every output pixel copies input pixel
// (y / f, x / f): exactly upsampling.
void Importer::resize(const onnx::NodeProto& n) {
  const Value& x = need_act(n, 0);
  if (x.axes != "NCHW") fail(n, "input layout " + x.axes + " is not supported", "", "NCHW");
  const TensorShape in = b_->shape(x.tensor);
  const std::string mode = attr_string(n, "mode");
  if (!mode.empty() && mode != "nearest") {
    fail(n, "only nearest-neighbour resizing is supported", mode, "nearest");
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
  for (int i = 2; i < 4; ++i) {
    if (f[i] < 1 || f[i] > 64 || f[i] != std::floor(f[i])) {
      fail(n, "only whole upsampling factors are supported",
           std::to_string(f[2]) + " x " + std::to_string(f[3]), "integers 1..64");
    }
  }
  const std::string ctm = attr_string(n, "coordinate_transformation_mode");
  const std::string nm = attr_string(n, "nearest_mode");
  // With whole factors f these pick input pixel floor(y / f) (docs/workloads.md): half_pixel
  // (the default from opset 11) with any rounding, asymmetric (Upsample, Resize 10) or
  // tf_half_pixel_for_nn with floor, asymmetric with round_prefer_floor for f <= 2.
  const bool old = n.op_type() == "Upsample" || n.input_size() == 2;
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
      fail(n, "operand shapes differ", dims_text(dims_of(first)) + ", " + dims_text(dims_of(v)),
           "equal shapes");
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
  acts_[n.output(0)] = {b_->concat(layer_name(n), ins), axes};
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
  for (const auto* n : {clip, mul, div})
    done_.insert(index_of(*n));
  const Value v = acts_.at(x);
  double gain = 1.0, offset = 0.0;
  const std::string out = fold_affine(div->output(0), gain, offset);
  acts_[out] = {b_->act(layer_name(*div), v.tensor, Activation::HardSwish, 0.0, 0.0, gain, offset),
                v.axes};
  return true;
}

void Importer::binary(const onnx::NodeProto& n) {
  const std::string op = n.op_type();
  if (n.input_size() != 2) fail(n, "needs two inputs");
  if (op == "Add" && hardswish(n)) return;
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
      fail(n, "operand shapes differ", dims_text(da) + " + " + dims_text(db), "equal shapes");
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

void Importer::reshape(const onnx::NodeProto& n) {
  const std::string op = n.op_type();
  const Value x = need_act(n, 0);
  const std::vector<std::int64_t> d = dims_of(x);
  const TensorShape s = b_->shape(x.tensor);
  if (op == "Identity" || op == "Dropout" || op == "Cast") {
    if (op == "Cast" && attr_int(n, "to", onnx::TensorProto::FLOAT) != onnx::TensorProto::FLOAT) {
      fail(n, "cast of a computed tensor to a non-float type");
    }
    acts_[n.output(0)] = x;
    return;
  }
  if (op == "Transpose") {
    std::vector<std::int64_t> perm = attr_ints(n, "perm");
    if (perm.empty())
      for (std::int64_t i = static_cast<std::int64_t>(d.size()) - 1; i >= 0; --i)
        perm.push_back(i);
    if (perm.size() != x.axes.size()) fail(n, "perm does not match the rank", dims_text(perm));
    std::string axes;
    for (auto p : perm) {
      if (p < 0 || p >= static_cast<std::int64_t>(x.axes.size()))
        fail(n, "perm out of range", dims_text(perm));
      axes += x.axes[static_cast<std::size_t>(p)];
    }
    if (std::set<char>(axes.begin(), axes.end()).size() != axes.size())
      fail(n, "perm repeats an axis", dims_text(perm));
    if (axes.size() == 2 && axes != "NF") fail(n, "transposing a flat tensor is not supported");
    acts_[n.output(0)] = {x.tensor, axes};
    return;
  }
  // The target dimensions.
  std::vector<std::int64_t> to;
  if (op == "Flatten") {
    std::int64_t axis = attr_int(n, "axis", 1);
    if (axis < 0) axis += static_cast<std::int64_t>(d.size());
    if (axis != 1) fail(n, "Flatten keeps the batch only with axis 1", std::to_string(axis), "1");
    to = {1, s.elements()};
  } else if (op == "Reshape") {
    const Const& shape = need_const(n, 1, "the target shape");
    std::int64_t known = 1, infer = -1;
    for (std::size_t i = 0; i < shape.v.size(); ++i) {
      std::int64_t v = static_cast<std::int64_t>(shape.v[i]);
      if (v == 0 && !attr_int(n, "allowzero", 0)) {
        if (i >= d.size())
          fail(n, "0 copies a dimension the input does not have", dims_text(shape.dims));
        v = d[i];
      }
      if (v == -1) {
        if (infer >= 0) fail(n, "more than one -1 in the target shape");
        infer = static_cast<std::int64_t>(i);
      } else if (v < 1) {
        fail(n, "target dimension out of range", std::to_string(v), ">= 1, 0 or -1");
      } else {
        known *= v;
      }
      to.push_back(v);
    }
    if (infer >= 0) to[static_cast<std::size_t>(infer)] = known > 0 ? s.elements() / known : 0;
  } else {  // Squeeze / Unsqueeze: axes from the attribute (opset < 13) or the second input
    std::vector<std::int64_t> axes = attr_ints(n, "axes");
    if (n.input_size() > 1 && !n.input(1).empty()) {
      for (double v : need_const(n, 1, "the axes").v)
        axes.push_back(static_cast<std::int64_t>(v));
    }
    if (op == "Squeeze") {
      for (std::size_t i = 0; i < d.size(); ++i) {
        const bool listed =
            std::count(axes.begin(), axes.end(), static_cast<std::int64_t>(i)) ||
            std::count(axes.begin(), axes.end(),
                       static_cast<std::int64_t>(i) - static_cast<std::int64_t>(d.size()));
        if (axes.empty() ? d[i] != 1 : !listed) to.push_back(d[i]);
      }
    } else {
      to = d;
      const std::int64_t rank = static_cast<std::int64_t>(d.size() + axes.size());
      std::vector<std::int64_t> sorted;
      for (auto a : axes)
        sorted.push_back(a < 0 ? a + rank : a);
      std::sort(sorted.begin(), sorted.end());
      for (auto a : sorted) {
        if (a < 0 || a > static_cast<std::int64_t>(to.size()))
          fail(n, "axis out of range", dims_text(axes));
        to.insert(to.begin() + a, 1);
      }
    }
  }
  std::int64_t prod = 1;
  for (auto v : to)
    prod *= v;
  if (prod != s.elements()) {
    fail(n, "target shape does not hold the input's elements",
         dims_text(d) + " -> " + dims_text(to));
  }
  Value y = x;
  if (to == d) {
    // nothing changes
  } else if (to.size() == 2 && to[0] == 1 && (x.axes == "NCHW" || x.axes == "NF")) {
    y.axes = "NF";  // flattened in CHW order
  } else if (to.size() == 4 && to[0] == 1 && to[2] == 1 && to[3] == 1 && s.h == 1 && s.w == 1) {
    y.axes = "NCHW";  // [1, C] back to [1, C, 1, 1]
  } else {
    fail(n, "reshape not supported", dims_text(d) + " -> " + dims_text(to),
         "a flatten to [1, features], or [1, C] <-> [1, C, 1, 1]");
  }
  acts_[n.output(0)] = y;
}

bool Importer::fold_constants(const onnx::NodeProto& n) {
  const std::string op = n.op_type();
  if (op == "Constant") {
    Const c;
    if (const auto* a = attr(n, "value")) {
      c = tensor_const(a->t(), where(n));
    } else if (const auto* af = attr(n, "value_float")) {
      c = {{}, {af->f()}};
    } else if (const auto* afs = attr(n, "value_floats")) {
      c = {{afs->floats_size()}, {afs->floats().begin(), afs->floats().end()}};
    } else if (const auto* ai = attr(n, "value_int")) {
      c = {{}, {static_cast<double>(ai->i())}};
    } else if (const auto* ais = attr(n, "value_ints")) {
      c = {{ais->ints_size()}, {}};
      for (auto v : ais->ints())
        c.v.push_back(static_cast<double>(v));
    } else {
      fail(n, "Constant without a value", "", "value, value_float(s) or value_int(s)");
    }
    consts_[n.output(0)] = std::move(c);
    return true;
  }
  if (op == "Shape") {
    const auto d = dims_of(need_act(n, 0));
    std::int64_t r = static_cast<std::int64_t>(d.size());
    std::int64_t start = attr_int(n, "start", 0), end = attr_int(n, "end", r);
    if (start < 0) start += r;
    if (end < 0) end += r;
    start = std::clamp<std::int64_t>(start, 0, r);
    end = std::clamp<std::int64_t>(end, start, r);
    Const c{{end - start}, {}};
    for (std::int64_t i = start; i < end; ++i)
      c.v.push_back(static_cast<double>(d[i]));
    consts_[n.output(0)] = std::move(c);
    return true;
  }
  for (const auto& in : n.input()) {
    if (!in.empty() && !const_of(in)) return false;
  }
  const Const& x = need_const(n, 0, "a constant");
  Const y = x;
  if (op == "Cast" || op == "Identity" || op == "Dropout") {
    if (op == "Cast") {
      const auto to = attr_int(n, "to", onnx::TensorProto::FLOAT);
      if (to == onnx::TensorProto::INT64 || to == onnx::TensorProto::INT32) {
        for (auto& v : y.v)
          v = std::trunc(v);
      }
    }
  } else if (op == "Unsqueeze" || op == "Squeeze" || op == "Reshape" || op == "Flatten") {
    // Only the dimensions change; shape-computing graphs use these on short vectors.
    if (op == "Reshape") {
      const Const& to = need_const(n, 1, "the target shape");
      y.dims.clear();
      std::int64_t known = 1, infer = -1;
      for (std::size_t i = 0; i < to.v.size(); ++i) {
        std::int64_t v = static_cast<std::int64_t>(to.v[i]);
        if (v == 0) v = i < x.dims.size() ? x.dims[i] : 1;
        if (v == -1)
          infer = static_cast<std::int64_t>(i);
        else
          known *= v;
        y.dims.push_back(v);
      }
      if (infer >= 0) y.dims[static_cast<std::size_t>(infer)] = known ? x.size() / known : 0;
    } else if (op == "Flatten") {
      y.dims = {1, x.size()};
    } else {
      std::vector<std::int64_t> axes = attr_ints(n, "axes");
      if (n.input_size() > 1)
        for (double v : need_const(n, 1, "the axes").v)
          axes.push_back(static_cast<std::int64_t>(v));
      if (op == "Unsqueeze") {
        const std::int64_t rank = static_cast<std::int64_t>(y.dims.size() + axes.size());
        for (auto& a : axes)
          a = a < 0 ? a + rank : a;
        std::sort(axes.begin(), axes.end());
        for (auto a : axes) {
          if (a < 0 || a > static_cast<std::int64_t>(y.dims.size())) fail(n, "axis out of range");
          y.dims.insert(y.dims.begin() + a, 1);
        }
      } else {
        std::vector<std::int64_t> keep;
        for (std::size_t i = 0; i < x.dims.size(); ++i) {
          const bool listed =
              axes.empty() ? x.dims[i] == 1
                           : std::count(axes.begin(), axes.end(), static_cast<std::int64_t>(i)) > 0;
          if (!listed) keep.push_back(x.dims[i]);
        }
        y.dims = keep;
      }
    }
    std::int64_t prod = 1;
    for (auto d : y.dims)
      prod *= d;
    if (prod != x.size())
      fail(n, "constant reshape does not hold the elements",
           dims_text(x.dims) + " -> " + dims_text(y.dims));
  } else if (op == "Concat") {
    y = Const{{0}, {}};
    for (int i = 0; i < n.input_size(); ++i) {
      const Const& c = need_const(n, i, "a constant");
      if (c.dims.size() > 1) fail(n, "Concat of multi-dimensional constants is not supported");
      y.v.insert(y.v.end(), c.v.begin(), c.v.end());
    }
    y.dims = {y.size()};
  } else if (op == "Gather" || op == "Slice") {
    if (x.dims.size() > 1)
      fail(n, op + " of a multi-dimensional constant is not supported", dims_text(x.dims),
           "a 1-D shape vector");
    const std::int64_t len = x.size();
    y.v.clear();
    if (op == "Gather") {
      const Const& idx = need_const(n, 1, "the indices");
      for (double v : idx.v) {
        std::int64_t i = static_cast<std::int64_t>(v);
        if (i < 0) i += len;
        if (i < 0 || i >= len) fail(n, "index out of range", std::to_string(i));
        y.v.push_back(x.v[static_cast<std::size_t>(i)]);
      }
      y.dims = idx.dims;
    } else {
      std::int64_t start = 0, end = len, step = 1;
      auto pick = [&](int input, const char* name, std::int64_t& out) {
        if (input < n.input_size() && !n.input(input).empty()) {
          const Const& c = need_const(n, input, name);
          if (c.size() != 1) fail(n, std::string(name) + " of a 1-D slice must be one value");
          out = static_cast<std::int64_t>(std::clamp(c.v[0], -9.0e18, 9.0e18));
        } else if (const auto* a = attr(n, name); a && a->ints_size() == 1) {
          out = a->ints(0);
        }
      };
      pick(1, "starts", start);
      pick(2, "ends", end);
      pick(4, "steps", step);
      if (step != 1) fail(n, "Slice steps other than 1 are not supported");
      if (start < 0) start += len;
      if (end < 0) end += len;
      start = std::clamp<std::int64_t>(start, 0, len);
      end = std::clamp<std::int64_t>(end, start, len);
      for (std::int64_t i = start; i < end; ++i)
        y.v.push_back(x.v[static_cast<std::size_t>(i)]);
      y.dims = {end - start};
    }
  } else if (op == "Add" || op == "Sub" || op == "Mul" || op == "Div") {
    const Const& bc = need_const(n, 1, "a constant");
    if (x.size() != bc.size() && x.size() != 1 && bc.size() != 1) {
      fail(n, "constant operands do not broadcast", dims_text(x.dims) + ", " + dims_text(bc.dims));
    }
    y = x.size() >= bc.size() ? x : bc;
    for (std::size_t i = 0; i < y.v.size(); ++i) {
      const double p = x.v[x.size() == 1 ? 0 : i], q = bc.v[bc.size() == 1 ? 0 : i];
      y.v[i] = op == "Add"   ? p + q
               : op == "Sub" ? p - q
               : op == "Mul" ? p * q
                             : (q != 0 ? p / q : 0);
    }
  } else {
    return false;  // an op on constants that runs as a layer (none today): not folded
  }
  consts_[n.output(0)] = std::move(y);
  return true;
}

void Importer::import_node(const onnx::NodeProto& n) {
  const std::string op = n.op_type();
  if (n.output_size() < 1 || n.output(0).empty()) fail(n, "node has no output");
  if (fold_constants(n)) return;
  if (op == "Conv") {
    conv(n);
  } else if (op == "Gemm" || op == "MatMul") {
    if (op == "MatMul" && acts_.count(n.input(1))) {
      fail(n, "MatMul of two computed tensors (attention) is not supported", "",
           "constant weights");
    }
    fully_connected(n);
  } else if (op == "BatchNormalization") {
    fail(n, "BatchNormalization not right after a Conv or Gemm (nothing to fold it into)");
  } else if (op == "MaxPool" || op == "AveragePool" || op == "GlobalAveragePool") {
    pool(n);
  } else if (op == "ConvTranspose") {
    conv_transpose(n);
  } else if (op == "Resize" || op == "Upsample") {
    resize(n);
  } else if (op == "Concat") {
    concat(n);
  } else if (const LayerKind* kind = find_onnx_kind(op)) {
    elementwise(n, *kind);
  } else if (op == "ReduceMean") {
    // The mean over H and W is global average pooling (PyTorch exports x.mean((2, 3)) so).
    const Value x = need_act(n, 0);
    std::vector<std::int64_t> axes = attr_ints(n, "axes");
    if (n.input_size() > 1 && !n.input(1).empty())
      for (double v : need_const(n, 1, "the axes").v)
        axes.push_back(static_cast<std::int64_t>(v));
    for (auto& a : axes)
      a = a < 0 ? a + 4 : a;
    std::sort(axes.begin(), axes.end());
    if (x.axes != "NCHW" || axes != std::vector<std::int64_t>{2, 3}) {
      fail(n, "ReduceMean other than over H and W of an NCHW tensor", dims_text(axes), "[2, 3]");
    }
    acts_[n.output(0)] = {b_->global_avg_pool(layer_name(n), x.tensor),
                          attr_int(n, "keepdims", 1) ? "NCHW" : "NF"};
  } else if (op == "Add" || op == "Sub" || op == "Mul" || op == "Div") {
    binary(n);
  } else if (op == "Relu" || op == "Clip") {
    const auto k = clamp_of(n);
    if (!k) fail(n, "Clip range not supported", "", "[0, 6] (ReLU6) or [0, inf) (ReLU)");
    acts_[n.output(0)] = {b_->relu(layer_name(n), need_act(n, 0).tensor, *k), need_act(n, 0).axes};
  } else if (op == "LeakyRelu" || op == "HardSigmoid" || op == "HardSwish" || op == "Sigmoid") {
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
  } else if (op == "Softmax") {
    // Monotone per row: the top class is the same without it. Run only at the very end.
    if (!outputs_.count(n.output(0))) {
      fail(n, "Softmax inside the network is not supported", "", "a final Softmax only");
    }
    acts_[n.output(0)] = need_act(n, 0);
    notes_.push_back((n.name().empty() ? std::string("Softmax") : n.name()) +
                     " (Softmax): not run; the result is the scores before it (same top class)");
  } else {
    reshape(n);
  }
}

OnnxImport Importer::run(std::uint64_t seed) {
  check_ops();
  sort_nodes();
  for (const auto& o : g_.output())
    outputs_.insert(o.name());
  for (const auto& t : g_.initializer()) {
    if (t.name().empty()) throw_field_error(file_, "initializer", "initializer without a name");
    consts_[t.name()] = tensor_const(t, "initializer \"" + t.name() + "\"");
  }
  std::vector<const onnx::ValueInfoProto*> inputs;
  for (const auto& in : g_.input())
    if (!consts_.count(in.name())) inputs.push_back(&in);
  if (inputs.size() != 1) {
    throw_field_error(file_, "graph.input", "the tool runs models with one input",
                      std::to_string(inputs.size()) + " inputs", "1");
  }
  const onnx::ValueInfoProto& in = *inputs.front();
  std::vector<std::int64_t> dims;
  for (const auto& d : in.type().tensor_type().shape().dim())
    dims.push_back(d.has_dim_value() && d.dim_value() > 0 ? d.dim_value() : -1);
  const std::string where_in = "input \"" + in.name() + "\"";
  if (dims.size() != 4) {
    throw_field_error(file_, where_in, "not a 4-D image input", dims_text(dims),
                      "[N, C, H, W] or [N, H, W, C]");
  }
  if (!input_shape_.empty()) {
    if (input_shape_.size() != dims.size()) {
      throw_field_error("--input-shape", "", "rank differs from the model input " + in.name(),
                        dims_text(input_shape_), std::to_string(dims.size()) + " dimensions");
    }
    for (std::size_t i = 0; i < dims.size(); ++i) {
      if (dims[i] > 0 && dims[i] != input_shape_[i]) {
        throw_field_error("--input-shape", "[" + std::to_string(i) + "]",
                          "differs from the model's fixed dimension",
                          std::to_string(input_shape_[i]), std::to_string(dims[i]));
      }
    }
    dims = input_shape_;
  }
  if (dims[0] < 0) dims[0] = 1;  // a dynamic batch runs one image
  for (std::size_t i = 1; i < dims.size(); ++i) {
    if (dims[i] < 0) {
      const auto& d = in.type().tensor_type().shape().dim(static_cast<int>(i));
      throw_field_error(
          file_, where_in + " dimension " + std::to_string(i),
          "dynamic dimension" + (d.dim_param().empty() ? "" : " \"" + d.dim_param() + "\""), "",
          "a size: --input-shape N,C,H,W (e.g. 1,3,48,192)");
    }
  }
  if (dims[0] != 1) {
    throw_field_error(file_, where_in + " dimension 0", "batch other than 1 is not supported",
                      std::to_string(dims[0]), "1");
  }
  // NHWC when every reader of the input transposes it to NCHW (as TensorFlow exports do).
  bool nhwc = consumers(in.name()) > 0;
  for (int i : consumers_[in.name()]) {
    const auto& c = g_.node(i);
    nhwc = nhwc && c.op_type() == "Transpose" &&
           attr_ints(c, "perm") == std::vector<std::int64_t>{0, 3, 1, 2};
  }
  for (auto d : dims) {
    if (d > 65536) {
      throw_field_error(file_, where_in, "dimension out of range", dims_text(dims),
                        "each at most 65536");
    }
  }
  const TensorShape shape = nhwc ? TensorShape{static_cast<int>(dims[1]), static_cast<int>(dims[2]),
                                               static_cast<int>(dims[3])}
                                 : TensorShape{static_cast<int>(dims[2]), static_cast<int>(dims[3]),
                                               static_cast<int>(dims[1])};
  // The file's name: exporters' graph names say little ("torch_jit", "Model from PaddlePaddle.").
  b_.emplace(std::filesystem::path(file_).stem().string(), shape, file_);
  acts_[in.name()] = {b_->input(), nhwc ? "NHWC" : "NCHW"};
  // Constant nodes first: patterns look ahead at later nodes' constant inputs.
  for (int i : order_) {
    if (g_.node(i).op_type() == "Constant") {
      fold_constants(g_.node(i));
      done_.insert(i);
    }
  }
  for (int i : order_) {
    if (!done_.count(i)) import_node(g_.node(i));
  }
  if (g_.output_size() < 1 || !acts_.count(g_.output(0).name())) {
    throw_field_error(file_, "graph.output", "the output is not computed from the input",
                      g_.output_size() ? g_.output(0).name() : "", "a tensor the layers produce");
  }
  if (g_.output_size() > 1) {
    notes_.push_back("the model has " + std::to_string(g_.output_size()) +
                     " outputs; all are computed, the result is the last layer's");
  }
  OnnxImport r;
  r.net = b_->build();
  int lookups = 0;
  for (const auto& l : r.net.layers)
    lookups += l.type == LayerType::Act;
  if (lookups > 0) {
    notes_.push_back(std::to_string(lookups) +
                     " activation functions run as lookup tables on the vector unit; their "
                     "energy is an estimate (a table read path, docs/energy.md)");
  }
  r.weights = std::make_unique<OnnxWeights>(file_, std::move(params_), seed);
  r.notes = std::move(notes_);
  return r;
}

}  // namespace

OnnxImport import_onnx(const std::string& path, const std::vector<std::int64_t>& input_shape,
                       std::uint64_t seed) {
  const std::string bytes = read_text_file(path);
  onnx::ModelProto model;
  if (bytes.empty() || !model.ParseFromString(bytes)) {
    throw_field_error(
        path, "", "not an ONNX model (the protobuf does not parse: truncated or another format)");
  }
  if (!model.has_graph() || model.graph().node_size() == 0) {
    throw_field_error(path, "graph", "the model has no graph nodes");
  }
  for (const auto& o : model.opset_import()) {
    if ((o.domain().empty() || o.domain() == "ai.onnx") && (o.version() < 7 || o.version() > 21)) {
      throw_field_error(path, "opset_import", "opset version not supported",
                        std::to_string(o.version()), "7..21");
    }
  }
  return Importer(path, model.graph(), input_shape).run(seed);
}

std::vector<std::int64_t> parse_input_shape(const std::string& text, const std::string& option) {
  std::vector<std::int64_t> dims;
  std::string cur;
  for (std::size_t i = 0; i <= text.size(); ++i) {
    if (i == text.size() || text[i] == ',' || text[i] == 'x') {
      if (cur.empty() || cur.size() > 6 ||
          !std::all_of(cur.begin(), cur.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
          std::stoll(cur) < 1 || std::stoll(cur) > 65536) {
        throw_field_error(option, "", "not a shape", "\"" + text + "\"",
                          "positive sizes up to 65536 separated by ',' or 'x', e.g. 1,3,48,192");
      }
      dims.push_back(std::stoll(cur));
      cur.clear();
    } else {
      cur += text[i];
    }
  }
  return dims;
}

}  // namespace conloc
