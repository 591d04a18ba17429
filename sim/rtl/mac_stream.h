#pragma once

#include <cstdint>
#include <string>

namespace conloc {

struct CompiledNetwork;
class EnergyModel;

// The operand stream one weight-stationary PE sees in a real layer, for activity-based energy
// (docs/rtl.md): `pes` PEs of layer `layer` of the calibrated `cn` (spread over its
// weights), each holding its weight code while the layer's M activations of its row stream
// through, with the partial sum arriving from the PEs above it in the fold (`rows` array rows) as
// acc_in. Lines "code a acc_in acc_out" as mac_test_vectors (sim/rtl/mac_rtl.h); the first line
// of each PE's stream starts a new run (consecutive lines are consecutive cycles).
// A header of comment lines precedes them: what a run charges for these operations
// ("# model_pj_per_mac X": the characterised energy where `energy`'s table characterises the
// circuit `circuit_fnv1a64` names, "# model_kind characterised", else the structural model), the
// structural model's
// figure and its parts, the layer's and the stream's operand toggles, and a per-layer v2 level
// set's decoder table (the layer's own) as "# table INDEX WORD" lines.
std::string mac_operand_stream(const CompiledNetwork& cn, int layer, int rows, int pes,
                               const EnergyModel& energy, const std::string& circuit_fnv1a64,
                               std::uint64_t* count);

}  // namespace conloc
