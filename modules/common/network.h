#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace conloc {

// Activation tensors are HWC (batch 1), stored one value per element.
// Largest tensor (elements) and layer (weights) a network may have: 2^28, 256 Mi. A larger one is
// rejected when the network is built, before anything is allocated.
constexpr std::int64_t kMaxTensorElements = std::int64_t{1} << 28;

struct TensorShape {
  int h = 0;
  int w = 0;
  int c = 0;
  std::int64_t elements() const { return std::int64_t{h} * w * c; }
};

// A layer's type: an index into the layer-kind registry (modules/layers/layer_kind.h), where each
// type says what it computes, how it is calibrated, what it costs and how the planner bands it.
// The types the code names are constants here; a type added in modules/layers/kinds/ gets its
// index when the registry is built and is found by name (layer_kind("abs")).
class LayerType {
 public:
  constexpr LayerType() = default;
  constexpr explicit LayerType(int id) : id_(id) {}
  constexpr int id() const { return id_; }
  constexpr bool operator==(LayerType o) const { return id_ == o.id_; }
  constexpr bool operator!=(LayerType o) const { return id_ != o.id_; }

  static const LayerType Conv, FullyConnected, MaxPool, AvgPool, GlobalAvgPool, Add, Relu, Mul, Max,
      Act, Concat, Upsample, DepthToSpace;
  static constexpr int kBuiltIn = 13;  // the registry numbers added types from here

 private:
  int id_ = 0;
};
inline constexpr LayerType LayerType::Conv{0};
inline constexpr LayerType LayerType::FullyConnected{1};
inline constexpr LayerType LayerType::MaxPool{2};
inline constexpr LayerType LayerType::AvgPool{3};
inline constexpr LayerType LayerType::GlobalAvgPool{4};
inline constexpr LayerType LayerType::Add{5};
inline constexpr LayerType LayerType::Relu{6};
inline constexpr LayerType LayerType::Mul{7};
inline constexpr LayerType LayerType::Max{8};
inline constexpr LayerType LayerType::Act{9};
inline constexpr LayerType LayerType::Concat{10};
inline constexpr LayerType LayerType::Upsample{11};
inline constexpr LayerType LayerType::DepthToSpace{12};

// Relu and Relu6 are clamps: fused into a PE-array layer's output stage or an add. The others are
// the nonlinear functions of an `Act` layer, which the vector unit applies by table lookup
// (docs/workloads.md): HardSigmoid(x) = clamp(alpha x + beta, 0, 1), HardSwish(x) = x *
// HardSigmoid(x) with alpha 1/6, beta 1/2, LeakyRelu(x) = x >= 0 ? x : alpha x, Gelu(x) =
// x (1 + erf(x / sqrt 2)) / 2 (the exact GELU, as torch exports it).
enum class Activation { None, Relu, Relu6, HardSwish, HardSigmoid, Sigmoid, LeakyRelu, Gelu };

const char* to_string(Activation a);
std::string to_string(const TensorShape& s);  // "HxWxC"
// True for the activations an output stage applies as a clamp (none, relu, relu6).
inline bool is_clamp(Activation a) {
  return a == Activation::None || a == Activation::Relu || a == Activation::Relu6;
}
// The activation function on real values (alpha, beta: HardSigmoid's slope and offset, LeakyRelu's
// slope; ignored by the others).
double activate(Activation a, double x, double alpha = 0.0, double beta = 0.0);

struct Layer;
// An `Act` layer's output for input x: gain * activate(act, x, alpha, beta) + offset.
double act_output(const Layer& l, double x);
// Whether an `Act` layer can output negative values when its input is signed (or not).
bool act_output_signed(const Layer& l, bool in_signed);

// A sliding window: kernel, stride and padding per dimension. Padding before the first row
// (top) and column (left) places the window; padding after (bottom, right) only adds output
// positions. Padded positions read zero.
struct Window {
  int kh = 1, kw = 1;
  int stride_h = 1, stride_w = 1;
  int pad_t = 0, pad_l = 0, pad_b = 0, pad_r = 0;
  // Dilation (convolutions only): tap r of the kernel reads row r x dil_h of the window, which
  // spans (kh - 1) x dil_h + 1 rows.
  int dil_h = 1, dil_w = 1;
  static Window square(int k, int stride, int pad) {
    return {k, k, stride, stride, pad, pad, pad, pad};
  }
};

// One layer. Conv and FullyConnected run on the PE array; the rest run on the vector unit.
// A fully-connected layer is a convolution whose kernel covers its whole input (kh = H, kw = W).
// Mul multiplies its first input by its second, which has the same shape or is one value per
// channel (1x1xC, broadcast: a squeeze-and-excitation gate). Max takes the larger of two
// tensors of one shape, element by element. Concat joins its inputs' channels
// in order. Upsample repeats each pixel scale_h x scale_w times (nearest neighbour).
// DepthToSpace moves channel blocks to pixels: output (y * sh + r, x * sw + s, c) is input
// (y, x, (r * sw + s) * C + c) for C output channels (a transposed convolution whose kernel
// equals its stride is a 1x1 convolution followed by this).
struct Layer {
  std::string name;
  LayerType type = LayerType::Conv;
  std::vector<int> inputs;  // tensor ids (Add, Mul, Max: two; Concat: two or more)
  int output = -1;          // tensor id
  int kh = 1, kw = 1, stride_h = 1, stride_w = 1, pad_t = 0, pad_l = 0, pad_b = 0, pad_r = 0;
  int dil_h = 1, dil_w = 1;  // Conv: dilation (Window)
  int groups = 1;
  int out_channels = 0;  // Conv / FullyConnected
  Activation act = Activation::None;
  double alpha = 0.0, beta = 0.0;   // Act: the function's parameters (see Activation)
  double gain = 1.0, offset = 0.0;  // Act: output = gain * function(x) + offset
  int scale_h = 1, scale_w = 1;     // Upsample, DepthToSpace: output size over input size
  int channel0 = 0;                 // Slice: the input channel of the output's first channel
  bool align_corners = false;       // Bilinear: sample positions (interp_point)

  bool on_pe_array() const { return type == LayerType::Conv || type == LayerType::FullyConnected; }
  bool padded() const { return pad_t != 0 || pad_l != 0 || pad_b != 0 || pad_r != 0; }
  bool dilated() const { return dil_h != 1 || dil_w != 1; }
  // Rows and columns the window spans (the kernel, or a dilated kernel's reach).
  int span_h() const { return (kh - 1) * dil_h + 1; }
  int span_w() const { return (kw - 1) * dil_w + 1; }
  // Output positions of the window over an input of `in_h` x `in_w`.
  int out_h(int in_h) const { return (in_h + pad_t + pad_b - span_h()) / stride_h + 1; }
  int out_w(int in_w) const { return (in_w + pad_l + pad_r - span_w()) / stride_w + 1; }
};

// GEMM view of a PE-array layer, per group: out[M x N] = in[M x K] * W[K x N].
struct GemmShape {
  std::int64_t m = 0;  // output pixels
  std::int64_t k = 0;  // reduction: kh * kw * in_channels_per_group
  std::int64_t n = 0;  // output channels per group
  int groups = 1;
  std::int64_t macs() const { return m * k * n * groups; }
};

struct Network {
  std::string name;
  std::vector<TensorShape> tensors;  // tensor 0 is the network input
  std::vector<Layer> layers;         // in execution order

  const TensorShape& in_shape(const Layer& l, int i = 0) const { return tensors[l.inputs[i]]; }
  const TensorShape& out_shape(const Layer& l) const { return tensors[l.output]; }
  GemmShape gemm(const Layer& l) const;
  // Tensors besides the network input that no layer produces (NetworkBuilder::source).
  int extra_sources() const;
  std::int64_t weight_count(const Layer& l) const;  // 0 for vector layers
  std::int64_t macs() const;
};

}  // namespace conloc
