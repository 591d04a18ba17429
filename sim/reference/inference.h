#pragma once

#include <vector>

#include "modules/common/compiled_network.h"

namespace conloc {

// Integer inference with a compiled network: the arithmetic the simulated accelerator reproduces
// bit for bit (every functional `run` checks it), on any input. `accuracy` classifies the test
// set with it; the compiler calibrates with the same operations.

// `image` (real values, HWC) quantized with x.scale to the symmetric `bits`-bit range.
void quantize_input(const std::vector<float>& image, int bits, IntTensor& x);

// Runs a vector-unit layer (pooling, residual add, ReLU) of `cn`'s network on `tensors`, whose
// inputs hold data and whose output has its shape, sign and scale set.
void run_vector_layer(const Network& net, std::size_t li, const CompiledLayer& cl,
                      std::vector<IntTensor>& tensors);

// Runs every layer on `image`. `tensors` receives every tensor (shapes, signs and scales from
// cn.tensors); the last is the network output.
void infer(const CompiledNetwork& cn, const std::vector<float>& image,
           std::vector<IntTensor>& tensors);

}  // namespace conloc
