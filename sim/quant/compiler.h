#pragma once

#include <functional>
#include <string>
#include <vector>

#include "modules/common/compiled_network.h"
#include "sim/config/sim_config.h"
#include "sim/workload/weight_source.h"

namespace conloc {

// Everything a compile reads besides the network, its weight source and its input images: the
// compiler sees a configuration only through this, so `key` is exactly what a compiled network
// depends on (a test changes every configuration parameter and checks that the key changes
// whenever the compiled network does).
struct CompileSpec {
  // design.*, with the other MAC kind's fields at their defaults (a fixed-point design does not
  // depend on design.elp.*, nor an ELP_BSD design on design.fixed.*).
  DesignConfig design;
  // Quantize every weight and calibrate on input images with the integer reference: the golden
  // values of a functional run, and the operands every run prices its MACs on. Without input
  // data (a topology or GEMM list) only the weights are quantized.
  bool calibrate = true;
  // Without calibration: weights per layer quantized (whole output channels, evenly spaced; the
  // MAC statistics are scaled up); 0 = all (sim.timing_weight_sample, docs/timing.md).
  std::uint64_t weight_sample = 0;
  // The resolved design.* of this MAC kind, `calibrate` and (without it) `weight_sample`, as text.
  std::string key;
};
CompileSpec compile_spec(const SimConfig& cfg, bool calibrate);

// The offline step (docs/compensation.md): quantize and encode every PE-array layer's weights for
// the design, apply the configured compensation, and -- when `spec.calibrate` -- calibrate
// activation scales and requantization by running the integer reference network layer by layer
// on the source's input. The reference outputs are kept as the golden values the simulated
// accelerator must reproduce.
CompiledNetwork compile_network(const Network& net, const CompileSpec& spec,
                                const WeightSource& source);

// A compile calibrated on `calibration` (real-valued HWC images, at least one): activation scales
// (design.activation_calibration), the compensation statistics and the neighbour correlation
// are measured over all of them, and each layer's output SQNR on up to 8 of them (in sample).
// `held_out`, when given, is an image none of that saw: each layer's output SQNR is measured on
// it too (CompiledLayer::output_sqnr_held_out_db). `tensors` holds the integer reference of the
// first calibration image. compile_network is this with the workload's own input image, its
// held-out image being the source's held_out_input.
CompiledNetwork compile_calibrated(const Network& net, const CompileSpec& spec,
                                   const WeightSource& source,
                                   const std::vector<std::vector<float>>& calibration,
                                   const std::vector<float>* held_out = nullptr);

// compile_calibrated of every spec of `specs` on the same images, each result equal to its own
// compile's, but sharing work: specs that differ only in design.layer_formats compile the layers
// before their first differing one once (the state there is copied). On up to `jobs` threads;
// `done(i, cn)` is called (on a worker thread) as spec i's network `cn` is ready. The sensitivity
// designs of `optimize` (one layer changed each) compile about twice as fast this way
// (docs/optimize.md).
std::vector<CompiledNetwork> compile_calibrated_all(
    const Network& net, const std::vector<CompileSpec>& specs, const WeightSource& source,
    const std::vector<std::vector<float>>& calibration, const std::vector<float>* held_out,
    int jobs, const std::function<void(std::size_t, CompiledNetwork&)>& done = {});

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
// The same for two quantizations of the layer at once (with and without compensation, say),
// the float reference computed once: (`wq`, `bias`) and, when given, (`wq2`, `bias2`).
std::pair<OutputError, OutputError> output_errors(
    const IntTensor& in, const Layer& l, const Network& net, const FloatLayerParams& p,
    const std::vector<double>& w_scale, const std::vector<std::int16_t>& wq,
    const std::vector<std::int32_t>& bias, const std::vector<std::int16_t>* wq2,
    const std::vector<std::int32_t>* bias2, std::int64_t pixels);

}  // namespace conloc
