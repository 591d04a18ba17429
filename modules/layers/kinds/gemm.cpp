// The PE array's layers: a convolution and a fully-connected layer are one GEMM each
// (Network::gemm). The compiler quantizes, encodes and compensates their weights
// (sim/quant/compiler.cpp), the PE array runs them; nothing here is per element.
#include "modules/layers/layer_kind.h"

namespace conloc {

void define_gemm_kinds(LayerKinds& kinds) {
  LayerKind conv;
  conv.type = LayerType::Conv;
  conv.name = "conv";
  conv.summary = "convolution (grouped, depthwise, strided, padded) on the PE array";
  conv.unit = Unit::PeArray;
  kinds.add(conv);

  LayerKind fc;
  fc.type = LayerType::FullyConnected;
  fc.name = "fc";
  fc.summary = "fully-connected layer on the PE array (a convolution covering its input)";
  fc.unit = Unit::PeArray;
  kinds.add(fc);
}

}  // namespace conloc
