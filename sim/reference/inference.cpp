#include "sim/reference/inference.h"

#include <algorithm>
#include <cmath>

#include "modules/common/error.h"
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

void run_vector_layer(const Network& net, std::size_t li, const CompiledLayer& cl,
                      std::vector<IntTensor>& tensors) {
  const Layer& l = net.layers[li];
  const IntTensor& in = tensors[l.inputs[0]];
  IntTensor& out = tensors[l.output];
  switch (l.type) {
    case LayerType::MaxPool:
      max_pool(in, l, out);
      break;
    case LayerType::AvgPool:
    case LayerType::GlobalAvgPool:
      avg_pool(in, l, cl.pool_rq, cl.out_lo, cl.out_hi, out);
      break;
    case LayerType::Add:
      residual_add(in, tensors[l.inputs[1]], cl.add_rq, cl.out_lo, cl.out_hi, out);
      break;
    default:  // ReLU / ReLU6
      relu(in, cl.out_lo, cl.out_hi, out);
  }
}

void infer(const CompiledNetwork& cn, const std::vector<float>& image,
           std::vector<IntTensor>& tensors) {
  CONLOC_ASSERT(cn.functional, "inference", "a timing-only compile has no calibrated scales");
  if (tensors.size() != cn.tensors.size()) tensors.resize(cn.tensors.size());
  for (std::size_t t = 0; t < tensors.size(); ++t) {
    tensors[t].shape = cn.tensors[t].shape;
    tensors[t].is_signed = cn.tensors[t].is_signed;
    tensors[t].scale = cn.tensors[t].scale;
  }
  quantize_input(image, cn.activation_bits, tensors[0]);
  const Network& net = cn.net;
  for (std::size_t i = 0; i < net.layers.size(); ++i) {
    const Layer& l = net.layers[i];
    const CompiledLayer& cl = cn.layers[i];
    if (!l.on_pe_array()) {
      run_vector_layer(net, i, cl, tensors);
      continue;
    }
    thread_local std::vector<std::int32_t> acc;  // reused: no allocation per layer and image
    conv_accumulate(tensors[l.inputs[0]], l, net, cl.wq.data(), cn.accumulator_bits, acc);
    output_stage(acc, cl.bias, cl.rq, cl.out_lo, cl.out_hi, cn.accumulator_bits, tensors[l.output]);
  }
}

}  // namespace conloc
