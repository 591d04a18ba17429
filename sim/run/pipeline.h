#pragma once

#include <string>
#include <vector>

#include "modules/common/compiled_network.h"
#include "sim/config/sim_config.h"
#include "sim/energy/energy_cost.h"
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
  // Optional: the network's MAC prices on this configuration's array (mac_energies), where the
  // caller priced them already (a sweep prices each network and array once for its workers).
  const std::vector<LayerMacEnergy>* macs = nullptr;
  // Record every job's start and end (RunResult::trace, the timeline.json `run` and `compare`
  // write): a ResNet-50 run on a small array has a quarter of a million jobs, which nothing else
  // reads.
  bool trace = false;
};

// What a network's MAC prices depend on beside the network (mac_energies): the array's dataflow
// and rows, the batch, the MAC circuit and the energy table. Requests of one network and one key
// share them.
std::string mac_prices_key(const SimConfig& cfg);

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

// What a configuration's plans depend on beside its compiled network: requests (and sweep
// points) that agree share the mapper's counts (MappingReuse). Holding more than the mapper's
// planning key costs only sharing, never a result: the mapper keys on the planning parameters
// themselves.
std::string planning_fingerprint(const SimConfig& cfg);

// What a command that simulates in rounds keeps of each run (simulate_in_child).
struct SimulatedCost {
  double energy_pj = 0;
  std::uint64_t cycles = 0;
  std::int64_t mismatches = -1;  // RunResult::mismatches
  std::string infeasible;        // the Infeasibility's message; empty when the plan fits
};
// run_simulations in a child process, so that one process may simulate more than once (a SystemC
// kernel elaborates once per process): `optimize` simulates its sensitivity variants, then the
// designs it verifies. A failure in the child is rethrown here as a SimulationError (a UserError
// as a UserError) with its message.
std::vector<SimulatedCost> simulate_in_child(const std::vector<RunRequest>& requests,
                                             const EnergyModel& energy);

}  // namespace conloc
