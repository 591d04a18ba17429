#include "sim/workload/onnx_import.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>

#include "modules/base/error.h"
#include "sim/common/file_io.h"
#include "sim/workload/onnx_importer.h"

namespace conloc {

namespace onnx_detail {

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

}  // namespace

bool Importer::only_weights(const std::string& name) const {
  const auto it = consumers_.find(name);
  if (it == consumers_.end() || outputs_.count(name)) return false;
  for (int i : it->second) {
    const auto& n = g_.node(i);
    const std::string& op = n.op_type();
    const bool weight_op = op == "Conv" || op == "ConvTranspose" || op == "Gemm" || op == "MatMul";
    for (int k = 0; k < n.input_size(); ++k)
      if (n.input(k) == name && (!weight_op || k != 1)) return false;
  }
  return true;
}
std::string_view Importer::external_data(const onnx::TensorProto& t,
                                         const std::string& where) const {
  std::string location;
  std::uint64_t offset = 0, length = 0;
  bool has_length = false;
  for (const auto& kv : t.external_data()) {
    auto number = [&](std::uint64_t& out) {
      try {
        std::size_t used = 0;
        out = std::stoull(kv.value(), &used);
        if (used != kv.value().size()) throw std::invalid_argument("trailing characters");
      } catch (const std::exception&) {
        throw_field_error(file_, where + ".external_data." + kv.key(), "not a byte count",
                          kv.value(), "a non-negative integer");
      }
    };
    if (kv.key() == "location") {
      location = kv.value();
    } else if (kv.key() == "offset") {
      number(offset);
    } else if (kv.key() == "length") {
      number(length);
      has_length = true;
    }
  }
  // A path relative to the model's folder that stays in it (the ONNX rule).
  const std::filesystem::path rel(location);
  bool inside = !location.empty() && rel.is_relative();
  for (const auto& part : rel)
    inside = inside && part != "..";
  if (!inside) {
    throw_field_error(file_, where + ".external_data.location", "not a file beside the model",
                      location, "a relative path inside the model's folder");
  }
  const std::string path = (std::filesystem::path(file_).parent_path() / rel).string();
  auto it = external_.find(path);
  if (it == external_.end())
    it = external_.emplace(path, std::make_unique<MappedFile>(path, kMaxExternalDataBytes)).first;
  const MappedFile& f = *it->second;
  if (!has_length) length = offset <= f.size() ? f.size() - offset : 0;
  if (offset > f.size() || length > f.size() - offset) {
    throw_field_error(file_, where + ".external_data",
                      "outside " + location + " (" + std::to_string(f.size()) + " bytes)",
                      "offset " + std::to_string(offset) + ", length " + std::to_string(length),
                      "a range of the file");
  }
  return std::string_view(f.data() + offset, static_cast<std::size_t>(length));
}
Const Importer::tensor_const(const onnx::TensorProto& t, const std::string& where,
                             bool weights) const {
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
  const std::string_view raw = t.data_location() == onnx::TensorProto::EXTERNAL
                                   ? external_data(t, where)
                                   : std::string_view(t.raw_data());
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
      if (weights) {  // as stored: one copy of the bytes, no widening
        if (!raw.empty()) {
          if (raw.size() != static_cast<std::size_t>(n) * sizeof(float)) {
            throw_field_error(file_, where, "raw data size does not match the dimensions",
                              std::to_string(raw.size()) + " bytes",
                              std::to_string(n * 4) + " bytes");
          }
          c.raw = raw;
        } else {
          if (t.float_data_size() != n) {
            throw_field_error(file_, where, "value count does not match the dimensions",
                              std::to_string(t.float_data_size()), std::to_string(n));
          }
          c.f.assign(t.float_data().begin(), t.float_data().end());
        }
        break;
      }
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
  bool finite = true;
  for (double x : c.v)
    finite = finite && std::isfinite(x);
  for (std::int64_t i = 0; i < static_cast<std::int64_t>(c.raw.size() / sizeof(float)); ++i)
    finite = finite && std::isfinite(c.at(i));
  for (float x : c.f)
    finite = finite && std::isfinite(x);
  if (!finite) throw_field_error(file_, where, "tensor holds NaN or Inf", "", "finite values");
  return c;
}
std::string Importer::unsupported_ops() const {
  std::map<std::string, std::vector<std::string>> bad;
  for (const auto& n : g_.node()) {
    if (n.output_size() < 1 || n.output(0).empty()) fail(n, "node without an output");
    if (!supported(n)) {
      auto& at = bad[(n.domain().empty() ? "" : n.domain() + ".") + n.op_type()];
      if (at.size() < 3)
        at.push_back(n.name().empty() ? "#" + std::to_string(index_of(n)) : n.name());
      else if (at.size() == 3)
        at.push_back("...");
    }
  }
  std::string list;
  for (const auto& [op, where] : bad) {
    std::string nodes;
    for (const auto& w : where)
      nodes += (nodes.empty() ? "" : ", ") + w;
    list += (list.empty() ? "" : "; ") + op + " (" + nodes + ")";
  }
  return list;
}
void Importer::import_all() {
  const std::string unsupported = unsupported_ops();
  std::vector<std::string> failed;  // each a node's error, without the file name
  std::set<std::string> produced, poisoned;
  for (const auto& n : g_.node())
    for (const auto& o : n.output())
      produced.insert(o);
  for (int i : order_) {
    if (done_.count(i)) continue;
    const onnx::NodeProto& n = g_.node(i);
    // Downstream of a node that could not be imported: not an error of its own.
    bool blocked = !supported(n);
    for (const auto& in : n.input()) {
      const bool missing = !in.empty() && produced.count(in) && !acts_.count(in) &&
                           !consts_.count(in) && (!failed.empty() || !unsupported.empty());
      blocked = blocked || poisoned.count(in) || missing;
    }
    if (!blocked) {
      try {
        import_node(n);
        continue;
      } catch (const UserError& e) {
        std::string what = e.what();
        if (what.rfind(file_ + ": ", 0) == 0) what = what.substr(file_.size() + 2);
        failed.push_back(what);
      }
    }
    for (const auto& o : n.output())
      poisoned.insert(o);
  }
  if (unsupported.empty() && failed.empty()) return;
  if (failed.empty()) {
    throw_field_error(file_, "graph", "unsupported ops", unsupported,
                      "ops the tool maps (docs/workloads.md): Conv, Gemm, MatMul, "
                      "BatchNormalization, pooling, Add, Mul, activations, shape ops");
  }
  std::string all = unsupported.empty() ? "" : "unsupported ops: " + unsupported;
  for (const auto& f : failed)
    all += (all.empty() ? "" : "\n  ") + f;
  const std::size_t blockers = failed.size() + (unsupported.empty() ? 0 : 1);
  throw UserError(file_ + ": " + (blockers > 1 ? "the model cannot run; every blocker:\n  " : "") +
                  all);
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
std::optional<std::vector<std::int64_t>> Importer::reduce_axes(const onnx::NodeProto& n,
                                                               int rank) const {
  std::vector<std::int64_t> axes = attr_ints(n, "axes");
  if (n.input_size() > 1 && !n.input(1).empty()) {
    const Const* c = const_of(n.input(1));
    if (!c) return std::nullopt;
    for (double v : c->v)
      axes.push_back(static_cast<std::int64_t>(v));
  }
  for (auto& a : axes)
    a = a < 0 ? a + rank : a;
  std::sort(axes.begin(), axes.end());
  return axes;
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
  const Value& v = it->second;
  // MaxPool pads with -inf, not zeros; every other op would see the zeros as data.
  if (v.padded() && n.op_type() != "Conv" && n.op_type() != "AveragePool") {
    fail(n, "reads the output of an explicit Pad",
         "pads " + std::to_string(v.pad[0]) + ", " + std::to_string(v.pad[1]) + ", " +
             std::to_string(v.pad[2]) + ", " + std::to_string(v.pad[3]),
         "a Pad read by Conv or AveragePool only (folded into their padding)");
  }
  return v;
}
std::vector<std::int64_t> Importer::dims_of(const Value& v) const {
  const TensorShape& s = b_->shape(v.tensor);
  std::vector<std::int64_t> d;
  for (char a : v.axes) {
    d.push_back(a == 'N'   ? 1
                : a == 'C' ? s.c
                : a == 'H' ? s.h
                : a == 'W' ? s.w
                : a == 'G' ? v.groups
                : a == 'K' ? s.c / v.groups
                           : s.elements());
  }
  return d;
}
std::string Importer::layer_name(const onnx::NodeProto& n) {
  return unique_name(n.name().empty() ? n.op_type() + "_" + std::to_string(index_of(n)) : n.name());
}
std::string Importer::unique_name(std::string base) {
  for (char& ch : base) {
    if (!layer_name_char(ch) || ch == '.') ch = '_';  // ONNX's dotted paths as one name
  }
  if (base == "input") base = "input_";
  std::string name = base;
  for (int k = 2; names_.count(name); ++k)
    name = base + "_" + std::to_string(k);
  names_.insert(name);
  return name;
}
Window Importer::padded_window(const onnx::NodeProto& n, const Value& x, int kh, int kw,
                               bool ceil) const {
  const TensorShape in = b_->shape(x.tensor);
  // The node's own window over the padded image, then the Pad's rows and columns added.
  Window w = window(n, in.h + x.pad[0] + x.pad[2], in.w + x.pad[1] + x.pad[3], kh, kw, ceil,
                    x.axes == "NCW");
  w.pad_t += x.pad[0];
  w.pad_l += x.pad[1];
  w.pad_b += x.pad[2];
  w.pad_r += x.pad[3];
  if (x.padded() && (w.pad_t >= (kh - 1) * w.dil_h + 1 || w.pad_b >= (kh - 1) * w.dil_h + 1 ||
                     w.pad_l >= (kw - 1) * w.dil_w + 1 || w.pad_r >= (kw - 1) * w.dil_w + 1)) {
    fail(
        n, "the explicit Pad before it is as wide as the kernel",
        "pads " + std::to_string(w.pad_t) + ", " + std::to_string(w.pad_l) + ", " +
            std::to_string(w.pad_b) + ", " + std::to_string(w.pad_r),
        "padding narrower than the " + std::to_string(kh) + " x " + std::to_string(kw) + " kernel");
  }
  return w;
}
std::vector<std::int64_t> Importer::window_ints(const onnx::NodeProto& n, const std::string& name,
                                                bool one_d) const {
  const std::vector<std::int64_t> v = attr_ints(n, name);
  if (!one_d || v.empty()) return v;
  if (name == "pads") {
    if (v.size() != 2) fail(n, "pads", dims_text(v), "two values (1-D)");
    return {0, v[0], 0, v[1]};
  }
  if (v.size() != 1) fail(n, name, dims_text(v), "one value (1-D)");
  return {1, v[0]};
}
Window Importer::window(const onnx::NodeProto& n, int in_h, int in_w, int kh, int kw, bool ceil,
                        bool one_d) const {
  Window w{kh, kw, 1, 1, 0, 0, 0, 0};
  // A convolution's taps may be dilated (run as dense GEMM rows of the taps that exist); a
  // pooling window may not.
  const auto dil = window_ints(n, "dilations", one_d);
  if (!dil.empty()) {
    if (dil.size() != 2) fail(n, "dilations", dims_text(dil), "two values (2-D)");
    if (dil[0] != 1 || dil[1] != 1) {
      if (n.op_type() != "Conv") {
        fail(n, "dilated windows are supported for Conv only", dims_text(dil), "dilations 1");
      }
      if (dil[0] < 1 || dil[1] < 1 || dil[0] > 64 || dil[1] > 64) {
        fail(n, "dilation out of range", dims_text(dil), "1..64");
      }
      w.dil_h = static_cast<int>(dil[0]);
      w.dil_w = static_cast<int>(dil[1]);
    }
  }
  const int span_h = (kh - 1) * w.dil_h + 1, span_w = (kw - 1) * w.dil_w + 1;
  const auto strides = window_ints(n, "strides", one_d);
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
    same(in_h, span_h, w.stride_h, w.pad_t, w.pad_b);
    same(in_w, span_w, w.stride_w, w.pad_l, w.pad_r);
  } else if (auto_pad.empty() || auto_pad == "NOTSET") {
    const auto pads = window_ints(n, "pads", one_d);
    if (!pads.empty()) {
      if (pads.size() != 4) fail(n, "pads", dims_text(pads), "four values (2-D)");
      for (auto p : pads)
        if (p < 0 || p > 255) fail(n, "padding out of range", dims_text(pads), "0..255");
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
void Importer::import_node(const onnx::NodeProto& n) {
  const std::string op = n.op_type();
  if (n.output_size() < 1 || n.output(0).empty()) fail(n, "node has no output");
  if (fold_constants(n)) return;
  if (op == "Conv") {
    conv(n);
  } else if (op == "Gemm" || op == "MatMul") {
    if (op == "MatMul" && n.input_size() > 1 && acts_.count(n.input(1))) {
      fail(n, "MatMul of two computed tensors (attention) is not supported", "",
           "constant weights");
    }
    fully_connected(n);
  } else if (op == "BatchNormalization") {
    batch_norm(n);
  } else if (op == "MaxPool" || op == "AveragePool" || op == "GlobalAveragePool" ||
             op == "GlobalMaxPool") {
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
    reduce_mean(n);
  } else if (op == "Add" || op == "Sub" || op == "Mul" || op == "Div") {
    binary(n);
  } else if (op == "Relu" || op == "Clip") {
    const auto k = clamp_of(n);
    if (!k) fail(n, "Clip range not supported", "", "[0, 6] (ReLU6) or [0, inf) (ReLU)");
    acts_[n.output(0)] = {b_->relu(layer_name(n), need_act(n, 0).tensor, *k), need_act(n, 0).axes};
  } else if (op == "LeakyRelu" || op == "HardSigmoid" || op == "HardSwish" || op == "Sigmoid") {
    activation(n);
  } else if (op == "Erf") {
    fail(n, "Erf outside GELU is not supported", "", "x * (1 + Erf(x / sqrt 2)) / 2 (GELU)");
  } else if (op == "Pow" || op == "Sqrt") {
    fail(n, op + " outside LayerNorm is not supported", "",
         "(x - mean) / Sqrt(ReduceMean(Pow(x - mean, 2)) + eps) over the channels (LayerNorm)");
  } else if (op == "LayerNormalization") {
    layer_normalization(n);
  } else if (op == "Softmax") {
    softmax(n);
  } else if (op == "Pad") {
    pad(n);
  } else if (op == "Slice") {
    slice(n);
  } else if (op == "Split") {
    split(n);
  } else {
    reshape(n);
  }
}
TensorShape Importer::read_input() {
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
  if (dims.size() < 2 || dims.size() > 4) {
    throw_field_error(file_, where_in, "not an input of rank 2 to 4", dims_text(dims),
                      "[N, C, H, W] or [N, H, W, C] (images), [N, C, L] (1-D signals), [N, F] "
                      "(features)");
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
          dims.size() == 4
              ? "a size: --input-shape N,C,H,W (e.g. 1,3,48,192)"
              : "a size: --input-shape with " + std::to_string(dims.size()) + " dimensions");
    }
  }
  if (dims[0] != 1) {
    throw_field_error(file_, where_in + " dimension 0", "batch other than 1 is not supported",
                      std::to_string(dims[0]), "1");
  }
  // NHWC when every reader of the input transposes it to NCHW (as TensorFlow exports do).
  // A one-channel NHWC input [1, H, W, 1] that every reader reshapes to [1, 1, H, W] is NHWC too:
  // the reshape is then a relabelling (tf2onnx's exports of audio CNNs).
  bool nhwc = dims.size() == 4 && consumers(in.name()) > 0;
  for (int i : consumers_[in.name()]) {
    const auto& c = g_.node(i);
    const Const* to =
        c.op_type() == "Reshape" && c.input_size() > 1 ? const_of(c.input(1)) : nullptr;
    const bool relabel = to && dims[3] == 1 && to->size() == 4 && to->v[1] == 1 &&
                         to->v[2] == static_cast<double>(dims[1]) &&
                         to->v[3] == static_cast<double>(dims[2]);
    nhwc = nhwc && ((c.op_type() == "Transpose" &&
                     attr_ints(c, "perm") == std::vector<std::int64_t>{0, 3, 1, 2}) ||
                    relabel);
  }
  for (auto d : dims) {
    if (d > 65536) {
      throw_field_error(file_, where_in, "dimension out of range", dims_text(dims),
                        "each at most 65536");
    }
  }
  // A signal [N, C, L] is an image of one row ("NCW"); features [N, F] are one pixel ("NF").
  auto d = [&](std::size_t i) { return static_cast<int>(dims[i]); };
  const TensorShape shape = dims.size() == 2   ? TensorShape{1, 1, d(1)}
                            : dims.size() == 3 ? TensorShape{1, d(2), d(1)}
                            : nhwc             ? TensorShape{d(1), d(2), d(3)}
                                               : TensorShape{d(2), d(3), d(1)};
  // The file's name: exporters' graph names say little ("torch_jit", "Model from PaddlePaddle.").
  b_.emplace(std::filesystem::path(file_).stem().string(), shape, file_);
  acts_[in.name()] = {b_->input(), dims.size() == 2   ? "NF"
                                   : dims.size() == 3 ? "NCW"
                                   : nhwc             ? "NHWC"
                                                      : "NCHW"};
  input_dims_ = dims;
  input_nhwc_ = nhwc;
  return shape;
}

OnnxImport Importer::run(std::uint64_t seed) {
  sort_nodes();
  for (const auto& o : g_.output())
    outputs_.insert(o.name());
  for (const auto& t : g_.initializer()) {
    if (t.name().empty()) throw_field_error(file_, "initializer", "initializer without a name");
    consts_[t.name()] = tensor_const(t, "initializer \"" + t.name() + "\"", only_weights(t.name()));
  }
  read_input();
  // Constant nodes first: patterns look ahead at later nodes' constant inputs.
  for (int i : order_) {
    if (g_.node(i).op_type() == "Constant") {
      fold_constants(g_.node(i));
      done_.insert(i);
    }
  }
  import_all();
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
  r.files.push_back(file_);
  for (const auto& [path, mapped] : external_)
    r.files.push_back(path);
  return r;
}

}  // namespace onnx_detail

OnnxImport import_onnx(const std::string& path, const std::vector<std::int64_t>& input_shape,
                       std::uint64_t seed) {
  const MappedFile bytes(path);  // parsed in place: a large model's weights are not copied first
  onnx::ModelProto model;
  if (bytes.size() == 0 || !model.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
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
  onnx_detail::Importer importer(path, model.graph(), input_shape);
  try {
    return importer.run(seed);
  } catch (const UserError& e) {
    // Operands of different sizes usually mean an input size the network's strides do not
    // divide: say which size works (the nearest multiple of 2, 4, ..., 128 that imports).
    if (!importer.size_mismatch() || importer.input_dims().size() != 4) throw;
    std::vector<std::int64_t> dims = importer.input_dims();
    const std::size_t h = importer.input_nhwc() ? 1 : 2;
    for (std::int64_t m = 2; m <= 128; m *= 2) {
      std::vector<std::int64_t> d = dims;
      d[h] = (dims[h] + m - 1) / m * m;
      d[h + 1] = (dims[h + 1] + m - 1) / m * m;
      if (d == dims) continue;
      try {
        onnx_detail::Importer(path, model.graph(), d).run(seed);
      } catch (const UserError&) {
        continue;
      }
      std::string shape;
      for (auto x : d)
        shape += (shape.empty() ? "" : ",") + std::to_string(x);
      throw UserError(std::string(e.what()) + "\n  the input size is the problem: " +
                      std::to_string(d[h]) + " x " + std::to_string(d[h + 1]) + " (multiples of " +
                      std::to_string(m) + ") imports: --input-shape " + shape);
    }
    throw;
  }
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
