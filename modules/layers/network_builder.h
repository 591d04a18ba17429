#pragma once

#include <string>
#include <utility>
#include <vector>

#include "modules/common/network.h"

namespace conloc {

// A character a layer name may hold (letters, digits, '_', '.', '-'): names become file names of
// trained weights (<name>.weight.npy) and CSV cells. Readers of other formats map the rest to '_'.
bool layer_name_char(char c);

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
  int conv_window(const std::string& name, int in, int out_channels, const Window& win,
                  Activation act, int groups);
  int fc(const std::string& name, int in, int out_features, Activation act = Activation::None);
  int max_pool(const std::string& name, int in, int k, int stride, int pad);
  int avg_pool(const std::string& name, int in, int k, int stride, int pad);
  int pool(const std::string& name, LayerType type, int in, const Window& win);
  int global_avg_pool(const std::string& name, int in);
  int add(const std::string& name, int a, int b, Activation act);
  int relu(const std::string& name, int in, Activation act = Activation::Relu);
  // b: the same shape as a, or 1x1xC (one factor per channel).
  int mul(const std::string& name, int a, int b);
  // A layer of a parameter-free kind (LayerKind::arity > 0: max, abs, ...): `arity` inputs of
  // one shape, the output of that shape.
  int elementwise(const std::string& name, LayerType type, const std::vector<int>& ins);
  int act(const std::string& name, int in, Activation fn, double alpha, double beta,
          double gain = 1.0, double offset = 0.0);
  int concat(const std::string& name, const std::vector<int>& ins);
  int upsample(const std::string& name, int in, int scale_h, int scale_w);
  int depth_to_space(const std::string& name, int in, int block_h, int block_w);
  // Each pixel's channels normalised: (x - mean) / sqrt(var + eps) (a LayerNorm without its
  // learned scale and shift).
  int layer_norm(const std::string& name, int in, double eps);
  // Channel shuffle: output channel j x groups + i is input channel i x (C / groups) + j.
  int shuffle(const std::string& name, int in, int groups);
  // Channels [channel0, channel0 + channels) of the input.
  int slice(const std::string& name, int in, int channel0, int channels);
  // Bilinear resampling to out_h x out_w (half-pixel centres, or aligned corners).
  int bilinear(const std::string& name, int in, int out_h, int out_w, bool align_corners);

  Network build();

 private:
  int push(Layer l, TensorShape out);
  // Output size of a window of `k` along one dimension (padding `pad` in all); a window larger
  // than the padded input is an error naming `layer`.
  int window_out(const std::string& layer, const char* dim, int in, int k, int stride,
                 int pad) const;
  // Checks a window (positive kernel and stride, each padding smaller than the kernel) and sets
  // it on `l`; returns the output height and width.
  std::pair<int, int> place_window(Layer& l, const Window& win, const TensorShape& in) const;
  // The shape both inputs of an element-wise layer share; different shapes are an error.
  TensorShape same_shapes(const std::string& layer, int a, int b) const;
  [[noreturn]] void fail(const std::string& layer, const std::string& field,
                         const std::string& problem, const std::string& got,
                         const std::string& expected) const;
  void check_tensor(const std::string& layer, int t) const;

  Network net_;
  std::string source_;
};

}  // namespace conloc
