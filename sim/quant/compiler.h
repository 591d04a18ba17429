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

// Everything compile_network's result depends on besides the network: the design parameters of
// `mac` (not the other design's), the seed of synthetic weights, and `functional`. Sweeps compile
// once per distinct key.
std::string compile_key(const SimConfig& cfg, MacKind mac, bool functional);

}  // namespace conloc
