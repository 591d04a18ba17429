#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "modules/arith/mac_actions.h"

namespace conloc {

struct CompiledNetwork;

// One operation of a weight-stationary PE in a real layer: its held weight code, the activation
// streaming through, the partial sum arriving from the PEs above it in its row fold, and the sum
// it passes on (wrapped to the accumulator).
struct WsOperation {
  std::uint32_t code = 0;
  std::int32_t w = 0;  // the weight level the code stands for
  std::int32_t a = 0;
  std::int64_t acc_in = 0, acc_out = 0;
};

// The operations `pes` weight-stationary PEs of PE-array layer `layer` of the functionally
// compiled `cn` perform (an array of `rows` rows): the PEs are spread evenly over group 0's
// weights, and each sees the output positions of `runs` (first position, count) in order. Per PE,
// its operations, runs one after another.
std::vector<std::vector<WsOperation>> ws_operations(
    const CompiledNetwork& cn, int layer, int rows, int pes,
    const std::vector<std::pair<std::int64_t, std::int64_t>>& runs);

// Each PE's mean toggles between its consecutive operations (transitions inside a run of
// `run_length` operations only): the activation over `activation_bits`, the incoming partial sum
// and the product over `accumulator_bits`; with its held code.
std::vector<PeToggles> pe_toggles(const std::vector<std::vector<WsOperation>>& per_pe,
                                  std::int64_t run_length, int activation_bits,
                                  int accumulator_bits);

// The mean over PEs (each PE has as many transitions as the others: they share the runs).
OperandToggles mean_toggles(const std::vector<PeToggles>& pes);

// A layer's operand toggles per PE from a sample: 64 PEs, each over 32 runs of 9 consecutive
// output positions spread over the layer (fewer where the layer has fewer), about 16 000
// transitions, so any layer costs about the same to measure.
std::vector<PeToggles> measure_pe_toggles(const CompiledNetwork& cn, int layer, int rows);

}  // namespace conloc
