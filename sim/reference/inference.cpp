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
    case LayerType::Mul:
      multiply(in, tensors[l.inputs[1]], cl.mul_rq, cl.out_lo, cl.out_hi, out);
      break;
    case LayerType::Act:
      lookup(in, cl.lut, cl.lut_lo, out);
      break;
    case LayerType::Max:
      elementwise_max(in, tensors[l.inputs[1]], cl.input_rq, cl.out_lo, cl.out_hi, out);
      break;
    case LayerType::Concat: {
      std::vector<const IntTensor*> ins;
      for (int t : l.inputs)
        ins.push_back(&tensors[t]);
      concat(ins, cl.input_rq, cl.out_lo, cl.out_hi, out);
      break;
    }
    case LayerType::Upsample:
      upsample(in, l, out);
      break;
    case LayerType::DepthToSpace:
      depth_to_space(in, l, out);
      break;
    default:  // ReLU / ReLU6
      relu(in, cl.out_lo, cl.out_hi, out);
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
