#include "sim/reference/inference.h"

#include <algorithm>
#include <cmath>

#include "modules/base/error.h"
#include "modules/layers/layer_kind.h"
#include "sim/reference/reference_ops.h"

namespace conloc {

void quantize_input(const std::vector<float>& image, int bits, IntTensor& x) {
  const std::int32_t qmax = act_max(bits, true);
  x.data.resize(image.size());
  for (std::size_t i = 0; i < image.size(); ++i) {
    x.data[i] =
        static_cast<std::int16_t>(std::clamp<long>(std::lround(image[i] / x.scale), -qmax, qmax));
  }
}

namespace {

// A layer's inputs as the integer reference holds them: whole tensors, HWC.
class TensorOperands final : public IntOperands {
 public:
  TensorOperands(const Layer& l, const std::vector<IntTensor>& t) : l_(l), t_(t) {}
  std::int32_t at(int k, int y, int x, int c) const override {
    const IntTensor& in = t_[l_.inputs[k]];
    const TensorShape& s = in.shape;
    if (s.h == 1 && s.w == 1) return in.data[c];  // one value per channel: broadcast
    return in.data[(static_cast<std::size_t>(y) * s.w + x) * s.c + c];
  }
  TensorShape shape(int k) const override { return t_[l_.inputs[k]].shape; }

 private:
  const Layer& l_;
  const std::vector<IntTensor>& t_;
};

}  // namespace

void run_vector_layer(const Network& net, std::size_t li, const CompiledLayer& cl,
                      std::vector<IntTensor>& tensors) {
  const Layer& l = net.layers[li];
  const LayerKind& kind = layer_kind(l.type);
  if (kind.run_reference) {
    kind.run_reference(l, cl, tensors, tensors[l.output]);
    return;
  }
  run_vector_layer_by_element(net, li, cl, tensors);
}

void run_vector_layer_by_element(const Network& net, std::size_t li, const CompiledLayer& cl,
                                 std::vector<IntTensor>& tensors) {
  const Layer& l = net.layers[li];
  const LayerKind& kind = layer_kind(l.type);
  IntTensor& out = tensors[l.output];
  // Element by element, as the vector unit computes it; a kind with one part per input fills
  // each input's channels of the output in turn.
  const TensorShape os = out.shape;
  out.data.resize(static_cast<std::size_t>(os.elements()));
  const TensorOperands ops(l, tensors);
  const int parts = kind.part_per_input ? static_cast<int>(l.inputs.size()) : 1;
  int c0 = 0;
  for (int part = 0; part < parts; ++part) {
    const int channels = kind.part_per_input ? net.tensors[l.inputs[part]].c : os.c;
    for (int y = 0; y < os.h; ++y)
      for (int x = 0; x < os.w; ++x)
        for (int c = 0; c < channels; ++c)
          out.data[(static_cast<std::size_t>(y) * os.w + x) * os.c + c0 + c] =
              static_cast<std::int16_t>(kind.element(l, cl, os, ops, {y, x, c, part}));
    c0 += channels;
  }
}

IntegerInference::IntegerInference(const CompiledNetwork& cn) : cn_(cn) {
  CONLOC_ASSERT(cn.calibrated, "inference",
                "a compile without input data has no calibrated scales");
  packed_.resize(cn.net.layers.size());
  for (std::size_t i = 0; i < cn.net.layers.size(); ++i) {
    const Layer& l = cn.net.layers[i];
    if (!l.on_pe_array()) continue;
    const GemmShape g = cn.net.gemm(l);
    const std::int16_t* w = cn.layers[i].wq.data();
    for (std::int64_t grp = 0; grp < g.groups; ++grp)
      packed_[i].emplace_back(w + grp * g.n * g.k, g.k, g.n, g.k);
  }
}

void IntegerInference::run(const std::vector<float>& image, std::vector<IntTensor>& tensors) const {
  const CompiledNetwork& cn = cn_;
  if (tensors.size() != cn.tensors.size()) tensors.resize(cn.tensors.size());
  for (std::size_t t = 0; t < tensors.size(); ++t) {
    tensors[t].shape = cn.tensors[t].shape;
    tensors[t].is_signed = cn.tensors[t].is_signed;
    tensors[t].scale = cn.tensors[t].scale;
  }
  quantize_input(image, cn.widths.activation_bits, tensors[0]);
  const Network& net = cn.net;
  thread_local std::vector<std::int32_t> acc;  // reused: no allocation per layer and image
  for (std::size_t i = 0; i < net.layers.size(); ++i) {
    const Layer& l = net.layers[i];
    const CompiledLayer& cl = cn.layers[i];
    if (!l.on_pe_array()) {
      run_vector_layer(net, i, cl, tensors);
      continue;
    }
    conv_accumulate(tensors[l.inputs[0]], l, net, packed_[i], cn.widths.accumulator_bits, acc);
    output_stage(acc, cl.bias, cl.rq, cl.out_lo, cl.out_hi, cn.widths.accumulator_bits,
                 tensors[l.output]);
  }
}

void infer(const CompiledNetwork& cn, const std::vector<float>& image,
           std::vector<IntTensor>& tensors) {
  IntegerInference(cn).run(image, tensors);
}

}  // namespace conloc
