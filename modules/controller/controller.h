#pragma once

#include <systemc>

#include <tlm_utils/tlm_quantumkeeper.h>

#include <functional>
#include <vector>

#include "modules/controller/job_engine.h"
#include "modules/controller/layer_stats.h"
#include "modules/controller/run_context.h"
#include "modules/memory/dram.h"
#include "modules/memory/sram.h"

namespace conloc {

// The workload driver: replays the layers of a network in order. For each layer it publishes the
// plan (tiles and their dependencies) to the engines, waits until every job is done, and records
// what the layer cost: engine statistics and per-memory traffic. A depth-first group's members
// run band by band (LayerPlan::units), each band's cost added to its layer's.
class Controller : public sc_core::sc_module {
 public:
  SC_HAS_PROCESS(Controller);
  Controller(const sc_core::sc_module_name& name, RunContext& ctx, std::vector<JobEngine*> engines,
             Dram& dram, Sram& wbuf, Sram& abuf, Sram& obuf);

  const std::vector<LayerResult>& results() const { return results_; }
  bool finished() const { return finished_; }
  // Starts only when `previous` has finished (at the next multiple of the global quantum), so
  // accelerators elaborated side by side do not share simulated time (RunContext::origin).
  void start_after(const Controller& previous);
  // Called at the end of each plan (a layer's, or one band of a depth-first group member's),
  // before the next starts (functional checks).
  void on_plan_done(std::function<void(const LayerPlan&)> f) { layer_done_ = std::move(f); }

 private:
  void run();
  void build_decode_table(std::size_t layer);
  void run_plan(const LayerPlan& lp);
  LayerTraffic snapshot() const;

  RunContext& ctx_;
  std::vector<JobEngine*> engines_;
  Dram& dram_;
  Sram& wbuf_;
  Sram& abuf_;
  Sram& obuf_;
  std::vector<LayerResult> results_;
  bool finished_ = false;
  sc_core::sc_event finished_event_;
  const Controller* previous_ = nullptr;
  std::function<void(const LayerPlan&)> layer_done_;
  std::vector<bool> ran_;  // per layer: a plan of it has run (results_ holds it)
  std::vector<Job> jobs_;  // the running layer's jobs, where its plan makes them on demand
  std::vector<std::vector<std::int32_t>> decode_tables_;  // per layer, built at its first plan
};

}  // namespace conloc
