#pragma once

#include <functional>
#include <string>
#include <vector>

#include "modules/common/compiled_network.h"
#include "sim/config/sim_config.h"
#include "sim/quant/compiler.h"
#include "sim/workload/workload.h"

namespace conloc {

// Images a compile calibrates on instead of the workload's own input (`run --calibration`,
// `accuracy`): scales and compensation statistics from them; `id` names them in the key.
struct Calibration {
  std::vector<std::vector<float>> images;  // real-valued HWC, at least one
  std::string id;                          // e.g. "fashion-mnist train 0-500"
};

// The compile spec of `cfg` for `net`: calibrated (the integer reference run) wherever the
// network has input data, in every mode, so a timing-only run prices the same operands as a
// functional one; a topology or GEMM list (no data) quantizes weights only.
CompileSpec network_compile_spec(const Network& net, const SimConfig& cfg);

// The one way every command (run, compare, sweep, accuracy, rtl --stream) turns a loaded workload
// and a configuration into the compiled network a run simulates (docs/architecture.md):
//   1. quantize and encode the weights for cfg's design (network_compile_spec);
//   2. where the workload has data, calibrate on `calibration` (default: the workload's own
//      input) and keep the integer reference of the workload's input: the golden values and
//      the operands the MAC energy is priced on;
//   3. `functional`: the reference of every other image of the batch (add_batch_references).
// A functional run of a workload without input data is a UserError.
CompiledNetwork prepare_network(const Workload& w, const SimConfig& cfg, bool functional,
                                const Calibration* calibration = nullptr);

// prepare_network of every configuration of `cfgs` with `calibration`, each result equal to its
// own, the compiles of the ones not cached sharing their common layers (compile_calibrated_all)
// on up to `jobs` threads; `done(i)` is called (on a worker thread) as network i is ready.
std::vector<CompiledNetwork> prepare_networks(const Workload& w,
                                              const std::vector<const SimConfig*>& cfgs,
                                              bool functional, const Calibration& calibration,
                                              int jobs,
                                              const std::function<void(std::size_t)>& done = {});

// Exactly what prepare_network's result depends on: the workload (what it was loaded from), the
// compile spec, the calibration images and, for a functional batch, the batch. A cache of
// compiled networks (a sweep's) is keyed by it.
std::string network_key(const Workload& w, const SimConfig& cfg, bool functional,
                        const Calibration* calibration = nullptr);

}  // namespace conloc
