#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "modules/common/network.h"
#include "sim/workload/weight_source.h"

namespace conloc {

// An ONNX model imported as a network with its trained float weights (docs/workloads.md).
struct OnnxImport {
  Network net;
  std::unique_ptr<WeightSource> weights;
  // What the import did not model exactly (ops not run, averages at padded borders, ...), one
  // line each; the run summary lists them.
  std::vector<std::string> notes;
  // Every file the import read: the model and its external-data files.
  std::vector<std::string> files;
};

// Reads `path` (an ONNX ModelProto, weights from initializers and Constant nodes, NCHW or NHWC)
// and maps it onto the network layers: Conv (+ BatchNormalization, bias, Relu/Clip folded in),
// Gemm/MatMul as fully connected, pooling, Add/Mul on the vector unit, activation functions by
// table lookup, shape-only ops (Reshape, Flatten, Transpose, ...) free. `input_shape` sets the
// model input's dimensions in ONNX order (empty: the model's own; a dynamic batch becomes 1).
// Every unsupported op is listed in one UserError before anything is built; other problems name
// the file and the node. The network input comes from SyntheticWeights(seed) (a smooth image).
OnnxImport import_onnx(const std::string& path, const std::vector<std::int64_t>& input_shape,
                       std::uint64_t seed);

// "1,3,48,192" or "1x3x48x192" -> {1, 3, 48, 192}; errors name `option`.
std::vector<std::int64_t> parse_input_shape(const std::string& text, const std::string& option);

}  // namespace conloc
