#pragma once

#include <cstdint>
#include <string>
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

enum class LayerType { Conv, FullyConnected, MaxPool, AvgPool, GlobalAvgPool, Add, Relu };
enum class Activation { None, Relu, Relu6 };

const char* to_string(LayerType t);
const char* to_string(Activation a);

// One layer. Conv and FullyConnected run on the PE array; the rest run on the vector unit.
// A fully-connected layer is a convolution whose kernel covers its whole input (kh = H, kw = W).
struct Layer {
  std::string name;
  LayerType type = LayerType::Conv;
  std::vector<int> inputs;  // tensor ids (Add: two)
  int output = -1;          // tensor id
  int kh = 1, kw = 1, stride = 1, pad = 0, groups = 1;
  int out_channels = 0;  // Conv / FullyConnected
  Activation act = Activation::None;

  bool on_pe_array() const { return type == LayerType::Conv || type == LayerType::FullyConnected; }
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

// Incrementally builds a network and infers output shapes; every layer's parameters are checked
// (a UserError names `source` and the layer).
class NetworkBuilder {
 public:
  NetworkBuilder(std::string name, TensorShape input, std::string source);

  int input() const { return 0; }
  // A further input tensor, produced by no layer (each layer of a SCALE-Sim topology or GEMM list
  // reads its own operand). Such networks have no input data: timing-only.
  int source(const std::string& name, TensorShape shape);
  const TensorShape& shape(int tensor) const { return net_.tensors.at(tensor); }
  int conv(const std::string& name, int in, int out_channels, int k, int stride, int pad,
           Activation act, int groups = 1);
  int conv2(const std::string& name, int in, int out_channels, int kh, int kw, int stride, int pad,
            Activation act, int groups);
  int fc(const std::string& name, int in, int out_features, Activation act = Activation::None);
  int max_pool(const std::string& name, int in, int k, int stride, int pad);
  int avg_pool(const std::string& name, int in, int k, int stride, int pad);
  int global_avg_pool(const std::string& name, int in);
  int add(const std::string& name, int a, int b, Activation act);
  int relu(const std::string& name, int in, Activation act = Activation::Relu);

  Network build();

 private:
  int push(Layer l, TensorShape out);
  // Output size of a window of `k` along one dimension; a window larger than the padded input is
  // an error naming `layer`.
  int window_out(const std::string& layer, const char* dim, int in, int k, int stride,
                 int pad) const;
  [[noreturn]] void fail(const std::string& layer, const std::string& field,
                         const std::string& problem, const std::string& got,
                         const std::string& expected) const;
  void check_tensor(const std::string& layer, int t) const;

  Network net_;
  std::string source_;
};

}  // namespace conloc
