#pragma once

// What the layer-kind tests share (tests/layers/): a small network around one layer, the
// simulated accelerator's mismatches against the integer reference, and a layer's integer output
// measured against its kind's float function on the same (dequantized) inputs.
#include <cstdint>
#include <string>
#include <vector>

#include "modules/common/compiled_network.h"
#include "modules/layers/layer_kind.h"

namespace conloc::test_support {

// input 10x9x6 -> conv (signed, 8 channels) [-> a second conv for a two-input kind] -> `kind`
// -> conv head: the kind between two PE-array layers, on signed inputs. Parameter-free kinds
// only (LayerKind::arity > 0).
Network network_around(const LayerKind& kind);

// The network compiled with calibration for a configuration of `sets` (key=value), on synthetic
// weights and input (every image of a workload.batch).
CompiledNetwork compile_calibrated(const Network& net, const std::vector<std::string>& sets);

// Outputs of each layer where the simulated accelerator (functional run of `cn` on `sets`)
// differs from the integer reference; all zero when bit-exact. `fused_into`, when given, receives
// each layer's LayerPlan::fused_into (the layer whose output stage ran it, or -1).
std::vector<std::uint64_t> accelerator_mismatches(const CompiledNetwork& cn,
                                                  const std::vector<std::string>& sets,
                                                  std::vector<int>* fused_into = nullptr,
                                                  std::vector<std::uint64_t>* resident = nullptr);

// Layer `li`'s integer output against its kind's element_float on the integer inputs as real
// values: the largest difference in output levels (|q * scale - f| / scale) over the elements
// the clamp did not cut, and how many it did cut.
struct FloatAgreement {
  double worst_levels = 0.0;
  std::uint64_t compared = 0, clamped = 0;
};
FloatAgreement integer_against_float(const CompiledNetwork& cn, std::size_t li);

}  // namespace conloc::test_support
