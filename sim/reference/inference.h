#pragma once

#include <vector>

#include "modules/common/compiled_network.h"
#include "modules/dataflow/gemm_kernel.h"

namespace conloc {

// Integer inference with a compiled network: the arithmetic the simulated accelerator reproduces
// bit for bit (every functional `run` checks it), on any input. `accuracy` classifies the test
// set with it; the compiler calibrates with the same operations.

// `image` (real values, HWC) quantized with x.scale to the symmetric `bits`-bit range.
void quantize_input(const std::vector<float>& image, int bits, IntTensor& x);

// Runs a vector-unit layer of `net` on `tensors`, whose inputs hold data and whose output has its
// shape, sign and scale set: its kind's whole-tensor path where it has one, otherwise its element
// function on every output element (modules/layers/layer_kind.h).
void run_vector_layer(const Network& net, std::size_t li, const CompiledLayer& cl,
                      std::vector<IntTensor>& tensors);
// The same always through the kind's element function (the vector unit's arithmetic).
void run_vector_layer_by_element(const Network& net, std::size_t li, const CompiledLayer& cl,
                                 std::vector<IntTensor>& tensors);

// Integer inference of one compiled network over many images: each PE-array layer's weights are
// packed for the GEMM once (modules/dataflow/gemm_kernel.h). `cn` must outlive it.
class IntegerInference {
 public:
  explicit IntegerInference(const CompiledNetwork& cn);
  // Runs every layer on `image`. `tensors` receives every tensor (shapes, signs and scales from
  // cn.tensors); the last is the network output.
  void run(const std::vector<float>& image, std::vector<IntTensor>& tensors) const;

 private:
  const CompiledNetwork& cn_;
  std::vector<std::vector<PackedWeights>> packed_;  // per layer, per group
};

// One image: IntegerInference(cn).run(image, tensors).
void infer(const CompiledNetwork& cn, const std::vector<float>& image,
           std::vector<IntTensor>& tensors);

}  // namespace conloc
