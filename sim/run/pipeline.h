#pragma once

#include <vector>

#include "modules/common/compiled_network.h"
#include "sim/config/sim_config.h"
#include "sim/energy/energy_model.h"
#include "sim/run/run_result.h"
#include "sim/top/accelerator.h"

namespace conloc {

// One design to simulate: a validated configuration and the network compiled for its MAC design.
struct RunRequest {
  const SimConfig* cfg = nullptr;
  const CompiledNetwork* cn = nullptr;
  MacFactory make_mac = nullptr;  // optional: another PE datapath (tests inject faults with it)
};

// The run pipeline shared by `run`, `compare` and `sweep`, after compilation:
//   1. plan every request (plain C++); an infeasible plan becomes an infeasible result;
//   2. elaborate the feasible ones side by side and simulate them in one SystemC run (a process
//      can start the kernel only once);
//   3. turn what each accelerator measured into a RunResult: per-layer rows, energy from the
//      action counts, totals, the trace and the reference check.
// Results come back in request order. Call at most once per process.
std::vector<RunResult> run_simulations(const std::vector<RunRequest>& requests,
                                       const EnergyModel& energy);

}  // namespace conloc
