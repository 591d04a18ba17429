#pragma once

#include "modules/common/compiled_network.h"
#include "sim/config/sim_config.h"
#include "sim/workload/weight_source.h"

namespace conloc {

// The offline step (docs/compensation.md): quantize and encode every PE-array layer's weights for
// `mac`, apply the configured compensation, and -- when `functional` -- calibrate activation scales
// and requantization by running the integer reference network layer by layer on the input. The
// reference outputs are kept as the golden values the simulated accelerator must reproduce.
CompiledNetwork compile_network(const Network& net, const SimConfig& cfg, MacKind mac,
                                bool functional, const WeightSource& source);

// A functional compile calibrated on `calibration` (real-valued HWC images, at least one):
// activation scales (design.activation_calibration), the compensation statistics and the
// neighbour correlation are measured over all of them. `tensors` holds the integer reference of
// the first. compile_network(functional) is this with the workload's own input image.
CompiledNetwork compile_calibrated(const Network& net, const SimConfig& cfg, MacKind mac,
                                   const WeightSource& source,
                                   const std::vector<std::vector<float>>& calibration);

// A functional compile run on a batch: the reference activations of inputs 1 .. batch - 1 of
// `source` (the integer inference, sim/reference/inference.h), into cn.batch_tensors. Nothing for
// a timing-only compile or a batch of one.
void add_batch_references(CompiledNetwork& cn, const WeightSource& source, int batch);

// Per-channel means and the neighbour correlations of activation tensors (pooled over all of
// them, integer units): what the compensation methods rely on (docs/compensation.md).
struct NeighbourStats {
  std::vector<double> mean;  // per channel
  double rho_h = 0.0;        // E[x_s x_(s+1)] / E[x_(s+1)^2], horizontal neighbours
  double rho_v = 0.0;        // the same, vertical neighbours
};
NeighbourStats neighbour_stats(const std::vector<const IntTensor*>& tensors);

// Squared signal and error of a PE-array layer's output on input `in` (level units): float
// weights `p` against integer weights `wq` (scales `w_scale`) with integer biases `bias`
// (compensation constants included), on up to `pixels` evenly spaced output pixels x every
// output channel.
struct OutputError {
  double signal = 0.0, error = 0.0;
  OutputError& operator+=(const OutputError& o) {
    signal += o.signal;
    error += o.error;
    return *this;
  }
  double sqnr_db() const;
};
OutputError output_error(const IntTensor& in, const Layer& l, const Network& net,
                         const FloatLayerParams& p, const std::vector<double>& w_scale,
                         const std::vector<std::int16_t>& wq, const std::vector<std::int32_t>& bias,
                         std::int64_t pixels);

// Everything compile_network's result depends on besides the network: the design parameters of
// `mac` (not the other design's), the seed of synthetic weights, and `functional`. Sweeps compile
// once per distinct key.
std::string compile_key(const SimConfig& cfg, MacKind mac, bool functional);

}  // namespace conloc
