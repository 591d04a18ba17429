#pragma once
// The ONNX importer's internals, shared by its files: the graph driver (onnx_import.cpp) and one
// file per op family (onnx_ops_gemm.cpp: Conv, Gemm/MatMul, ConvTranspose and what folds into
// them; onnx_ops_vector.cpp: pooling, resize, elementwise, concat, activations; onnx_ops_shape.cpp:
// reshapes, transposes and constant folding). docs/extending.md, "Add an ONNX op".

#include <array>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <map>
#include <memory>
#include <onnx/onnx_pb.h>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "modules/layers/layer_kind.h"
#include "modules/layers/network_builder.h"
#include "sim/common/file_io.h"
#include "sim/workload/onnx_import.h"

namespace conloc::onnx_detail {

// A constant tensor (initializer, Constant node, or folded from constants), values as doubles.
struct Const {
  Const() = default;
  Const(std::vector<std::int64_t> d, std::vector<double> values)
      : dims(std::move(d)), v(std::move(values)) {}
  std::vector<std::int64_t> dims;
  std::vector<double> v;
  // A weight tensor kept as stored (FLOAT), not widened: the initializers that only a Conv,
  // ConvTranspose, Gemm or MatMul reads as its weights (most of a model's bytes); `v` is empty.
  // Read in place where the file holds them as raw bytes (`raw`: the parsed model's raw_data or
  // the mapped external file, both alive while the import runs), else copied (`f`): a model's
  // weights are then held once by the import, not twice (VGG-11's 507 MB: 2.1 -> 1.6 GB peak).
  std::string_view raw;
  std::vector<float> f;
  std::int64_t size() const {
    return static_cast<std::int64_t>(!raw.empty() ? raw.size() / sizeof(float)
                                     : f.empty()  ? v.size()
                                                  : f.size());
  }
  double at(std::int64_t i) const {
    if (!raw.empty()) {
      float x;
      std::memcpy(&x, raw.data() + static_cast<std::size_t>(i) * sizeof x, sizeof x);
      return x;
    }
    return f.empty() ? v[static_cast<std::size_t>(i)] : f[static_cast<std::size_t>(i)];
  }
};

// An activation: one tensor of the network being built, seen through ONNX's axes. Rank 4: a
// permutation of N, C, H, W; rank 2 ("NF"): the tensor flattened in CHW order.
struct Value {
  int tensor = -1;
  std::string axes = "NCHW";
  // Zero padding an explicit Pad put around the image, not built as a layer: top, left, bottom,
  // right. Only a Conv or an AveragePool reads a padded value, adding it to its own padding.
  std::array<int, 4> pad{};
  bool padded() const { return pad[0] || pad[1] || pad[2] || pad[3]; }
  // Rank 5, a channel shuffle's view: the channels as G groups of K = C / G ("NGKHW"), or that
  // transposed ("NKGHW"); `groups` is G. Reshaped back to [1, C, H, W] it is the image again, or
  // a shuffle layer.
  int groups = 1;
};

// A constant that applies per channel to an activation whose ONNX axes are `axes` (the channel
// axis 'C', or 'F' of a flat tensor), under ONNX's broadcasting; empty when it is not
// (onnx_ops_gemm.cpp).
std::vector<double> per_channel(const Const& c, int channels, const std::string& axes);

inline constexpr std::int64_t kMaxConstElements = std::int64_t{1} << 28;

// clang-format off
inline const std::set<std::string> kSupported = {
    "Conv", "ConvTranspose", "Gemm", "MatMul", "BatchNormalization",
    "MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool", "ReduceMean", "Pad",
    "Add", "Sub", "Mul", "Div", "Concat", "Resize", "Upsample",
    "Relu", "Clip", "LeakyRelu", "HardSigmoid", "HardSwish", "Sigmoid", "Softmax", "Erf",
    "Pow", "Sqrt", "LayerNormalization",
    "Reshape", "Flatten", "Transpose", "Squeeze", "Unsqueeze", "Identity", "Dropout",
    "Constant", "Shape", "Cast", "Slice", "Split", "Gather"};
// clang-format on

class Importer {
 public:
  Importer(std::string file, const onnx::GraphProto& g, std::vector<std::int64_t> input_shape)
      : file_(std::move(file)), g_(g), input_shape_(std::move(input_shape)) {
    for (int i = 0; i < g_.node_size(); ++i)
      index_[&g_.node(i)] = i;
  }

  OnnxImport run(std::uint64_t seed);
  // After a failed run: whether operands of one op met with different image sizes (an input
  // size the network's strides do not divide), and the input dimensions it ran with.
  bool size_mismatch() const { return size_mismatch_; }
  const std::vector<std::int64_t>& input_dims() const { return input_dims_; }
  bool input_nhwc() const { return input_nhwc_; }

 private:
  [[noreturn]] void fail(const onnx::NodeProto& n, const std::string& problem,
                         const std::string& got = "", const std::string& expected = "") const {
    throw_field_error(file_, where(n), problem, got, expected);
  }
  [[noreturn]] void fail_shapes(const onnx::NodeProto& n, const std::string& got) const {
    size_mismatch_ = true;
    fail(n, "operand shapes differ", got, "equal shapes");
  }
  std::string where(const onnx::NodeProto& n) const {
    return "node " +
           (n.name().empty() ? "#" + std::to_string(index_of(n)) : "\"" + n.name() + "\"") + " (" +
           n.op_type() + ")";
  }
  int index_of(const onnx::NodeProto& n) const { return index_.at(&n); }

  // The graph's one input, as the network's input shape (NCHW, or NHWC when every reader
  // transposes it); registers it as the first activation.
  TensorShape read_input();

  // Graph structure.
  // The ops no import exists for, as "Op (node, node); Op (node)"; empty when there are none.
  std::string unsupported_ops() const;
  bool supported(const onnx::NodeProto& n) const {
    return (n.domain().empty() || n.domain() == "ai.onnx") &&
           (kSupported.count(n.op_type()) || find_onnx_kind(n.op_type()));
  }
  // Imports every node; a node that fails is recorded and what depends on it skipped, so one
  // error names every blocker of the model (unsupported ops and nodes that cannot be mapped).
  void import_all();
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
  // `weights`: keep a FLOAT tensor as floats (Const::f), for an initializer only weight inputs
  // read.
  // The bytes of a tensor stored in an external file (data_location EXTERNAL): "location"
  // beside the model, from "offset", "length" bytes; each file mapped once.
  std::string_view external_data(const onnx::TensorProto& t, const std::string& where) const;
  Const tensor_const(const onnx::TensorProto& t, const std::string& where,
                     bool weights = false) const;
  // Whether every reader of `name` takes it as the weights (input 1) of a Conv, ConvTranspose,
  // Gemm or MatMul.
  bool only_weights(const std::string& name) const;
  const Const* const_of(const std::string& name) const {
    const auto it = consts_.find(name);
    return it == consts_.end() ? nullptr : &it->second;
  }
  const Const& need_const(const onnx::NodeProto& n, int input, const std::string& what) const;
  const Value& need_act(const onnx::NodeProto& n, int input) const;
  std::vector<std::int64_t> dims_of(const Value& v) const;
  std::string layer_name(const onnx::NodeProto& n);
  // `base` made a layer name (characters other than letters, digits, '_' and '-' replaced) not
  // taken yet (a suffix _2, _3, ... when it is), and taken.
  std::string unique_name(std::string base);
  // The axes a ReduceMean reads (attribute, or constant input from opset 18), each in [0, rank),
  // sorted; nothing when they come from a computed tensor.
  std::optional<std::vector<std::int64_t>> reduce_axes(const onnx::NodeProto& n, int rank) const;

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
  // A node computed from constants only (Constant, Shape, shape arithmetic): its output becomes
  // a constant; false when the node is not one.
  bool fold_constants(const onnx::NodeProto& n);
  Const constant_node(const onnx::NodeProto& n) const;
  Const shape_node(const onnx::NodeProto& n) const;
  Const reshaped_const(const onnx::NodeProto& n, const Const& x) const;
  Const gathered_const(const onnx::NodeProto& n, const Const& x) const;
  void conv(const onnx::NodeProto& n);
  void fully_connected(const onnx::NodeProto& n);
  // A MatMul with constant weights [C, N] on an activation whose last axis is its channels (an
  // NHWC view: ConvNeXt's Linear layers): a 1x1 conv.
  void pointwise(const onnx::NodeProto& n, const Value& x);
  // The per-channel scale, shift and clamp that follow `from` (an output of activation `x`), as
  // a 1x1 depthwise conv `name` on x (as a standalone BatchNorm runs), or nothing when they are
  // the identity.
  // `w`, `bias`: a scale and shift before them (empty: none).
  void channel_affine(const std::string& name, const std::string& from, const Value& x,
                      std::vector<float> w = {}, std::vector<float> bias = {});
  // LayerNorm over the channels: torch's export of it as ops, matched at its first ReduceMean
  // (false when the nodes after it are not that pattern), or ONNX's LayerNormalization (opset
  // 17). A `layernorm` layer, then its scale and shift by channel_affine.
  bool layer_norm_pattern(const onnx::NodeProto& mean, const Value& x, std::int64_t axis);
  void layer_normalization(const onnx::NodeProto& n);
  void pool(const onnx::NodeProto& n);
  void conv_transpose(const onnx::NodeProto& n);
  void resize(const onnx::NodeProto& n);
  void concat(const onnx::NodeProto& n);
  // An op a parameter-free layer kind imports (LayerKind::onnx_ops): its inputs, of one shape.
  void elementwise(const onnx::NodeProto& n, const LayerKind& kind);
  void binary(const onnx::NodeProto& n);
  void reduce_mean(const onnx::NodeProto& n);
  void activation(const onnx::NodeProto& n);  // LeakyRelu, HardSigmoid, HardSwish, Sigmoid
  void softmax(const onnx::NodeProto& n);
  void reshape(const onnx::NodeProto& n);
  // Slice / Split of an activation's channels (ShuffleNet V2's channel split): `slice` layers.
  void slice(const onnx::NodeProto& n);
  void split(const onnx::NodeProto& n);
  void transpose(const onnx::NodeProto& n, const Value& x);
  // Axes `axes` (Value::axes) after Transpose `n` (its perm checked).
  std::string transposed_axes(const onnx::NodeProto& n, const std::string& axes) const;
  // An explicit zero Pad of the image's rows and columns: recorded on its output (Value::pad)
  // and folded into the Conv or AveragePool that reads it.
  void pad(const onnx::NodeProto& n);
  // The window of a Conv or pool over input `x`, with the padding of an explicit Pad before it.
  Window padded_window(const onnx::NodeProto& n, const Value& x, int kh, int kw, bool ceil) const;
  // Folds the per-channel affine ops and the clamp that follow a PE-array layer's output `out`
  // (BatchNormalization, Add/Sub/Mul/Div by a constant, Relu, Clip) into its weights, bias and
  // activation; returns the name of the last folded output.
  // Rows of w and bias repeat the channels `repeat` times (row j is channel j % channels); `axes`:
  // the output's ONNX axes (Value::axes), which say which constants broadcast per channel; a
  // Transpose on the way relabels them (the caller registers the output with them).
  std::string fold_following(std::string out, int channels, std::string& axes,
                             std::vector<float>& w, std::vector<float>& bias, Activation& act,
                             int repeat = 1);
  // One step of fold_following: folds node `n`, which reads `out`, and returns true, or returns
  // false when it is not a per-channel affine op or clamp of `out`.
  bool fold_node(const onnx::NodeProto& n, const std::string& out, int channels,
                 const std::string& axes, std::vector<float>& w, std::vector<float>& bias,
                 Activation& act, int repeat);
  // A BatchNormalization with no Conv or Gemm before it: a 1x1 depthwise conv.
  void batch_norm(const onnx::NodeProto& n);
  std::optional<Activation> clamp_of(const onnx::NodeProto& n) const;
  // Folds Add/Sub/Mul/Div by a scalar constant after an activation's output `out` into its
  // output gain and offset (the lookup table absorbs them exactly); returns the last output.
  std::string fold_affine(std::string out, double& gain, double& offset);
  bool hardswish(const onnx::NodeProto& add);
  bool gelu(const onnx::NodeProto& div);
  // An activation written out as ops (HardSwish, GELU) on input `x`: the pattern's `nodes` (the
  // first op excepted: the caller is at it) become one act layer named after the last, which
  // takes the scalar affines after it.
  void pattern_act(std::initializer_list<const onnx::NodeProto*> nodes, const std::string& x,
                   Activation fn);
  // The node's window from its attributes; `one_d`: a 1-D op on an "NCW" value, whose strides,
  // pads and dilations name the width only.
  Window window(const onnx::NodeProto& n, int in_h, int in_w, int kh, int kw, bool ceil,
                bool one_d) const;
  // A window attribute as 2-D: a 1-D op's [a] is [1, a] and its pads [b, e] are [0, b, 0, e].
  std::vector<std::int64_t> window_ints(const onnx::NodeProto& n, const std::string& name,
                                        bool one_d) const;

  std::string file_;
  // External weight files (TensorProto::EXTERNAL), mapped once each by path.
  mutable std::map<std::string, std::unique_ptr<MappedFile>> external_;
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
  mutable bool size_mismatch_ = false;
  std::vector<std::int64_t> input_dims_;
  bool input_nhwc_ = false;
};

}  // namespace conloc::onnx_detail
