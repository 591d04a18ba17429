#pragma once

#include <cstdint>
#include <vector>

namespace conloc::test {

// Cycle-stepped reference models of the systolic array, written from the micro-architecture
// (registers that move one PE per step) rather than from the closed-form formulas, so the two can
// check each other. Small shapes only: cost is O(steps x rows x cols).
struct StepperResult {
  std::uint64_t cycles = 0;
  std::vector<std::int64_t> out;  // M x N
};

// a: M x K, w: K x N, mac_cycles: K x N (cycles each weight's MAC needs; lockstep array steps take
// the fold's slowest), rows x cols array.
StepperResult step_weight_stationary(const std::vector<std::int32_t>& a,
                                     const std::vector<std::int32_t>& w,
                                     const std::vector<int>& mac_cycles, int m, int k, int n,
                                     int rows, int cols);
StepperResult step_output_stationary(const std::vector<std::int32_t>& a,
                                     const std::vector<std::int32_t>& w,
                                     const std::vector<int>& mac_cycles, int m, int k, int n,
                                     int rows, int cols);

// Input-stationary: PE (r, c) holds a[m0 + c][k0 + r]; single-cycle MACs only (mac_cycles
// ignored: the dataflow does not model term-serial MACs).
StepperResult step_input_stationary(const std::vector<std::int32_t>& a,
                                    const std::vector<std::int32_t>& w,
                                    const std::vector<int>& mac_cycles, int m, int k, int n,
                                    int rows, int cols);

}  // namespace conloc::test
