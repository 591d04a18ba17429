#pragma once

#include <vector>

#include "modules/common/compiled_network.h"
#include "sim/config/sim_config.h"
#include "sim/energy/energy_model.h"
#include "sim/run/run_result.h"
#include "sim/top/accelerator.h"

namespace conloc {

// One design to simulate: a validated configuration and the network prepare_network compiled
// for it (sim/run/prepare.h), and whether to simulate the values.
struct RunRequest {
  const SimConfig* cfg = nullptr;
  const CompiledNetwork* cn = nullptr;
  bool functional = false;        // simulate values and check them against the reference
  MacFactory make_mac = nullptr;  // optional: another PE datapath (tests inject faults with it)
};

// The run pipeline shared by `run`, `compare`, `sweep` and `accuracy`, after prepare_network:
//   1. check that each request's network was compiled for its configuration (an InternalError
//      otherwise: a caller paired them wrongly);
//   2. price every layer's MACs on this array (mac_energies: operand toggles sampled for its
//      rows) and plan every request (plain C++); an infeasible plan becomes an infeasible result;
//   3. elaborate the feasible ones side by side and simulate them in one SystemC run (a process
//      can start the kernel only once);
//   4. turn what each accelerator measured into a RunResult: per-layer rows, energy from the
//      action counts, totals, the trace and the reference check.
// Results come back in request order. Call at most once per process.
std::vector<RunResult> run_simulations(const std::vector<RunRequest>& requests,
                                       const EnergyModel& energy);

}  // namespace conloc
