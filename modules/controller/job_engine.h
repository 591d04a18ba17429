#pragma once

#include <systemc>

#include <tlm_utils/tlm_quantumkeeper.h>

#include <vector>

#include "modules/controller/layer_plan.h"
#include "modules/controller/run_context.h"

namespace conloc {

// The TLM quantum keeper, with its next synchronisation point readable: a DMA asks whether a
// burst issued at time t is past it without asking the kernel for the time at every burst.
class QuantumKeeper : public tlm_utils::tlm_quantumkeeper {
 public:
  const sc_core::sc_time& next_sync_point() const { return m_next_sync_point; }
};

// Base of every engine (DMA read/write, PE array, compensation adder, vector unit): one SC_THREAD
// that runs the engine's jobs of the current layer in plan order. It is a loosely-timed initiator
// with its own quantum keeper: it runs ahead of simulated time until the global quantum is used
// up or it needs a result another engine has not produced yet, and only then synchronises.
class JobEngine : public sc_core::sc_module {
 public:
  SC_HAS_PROCESS(JobEngine);
  JobEngine(const sc_core::sc_module_name& name, RunContext& ctx, Engine kind);

  // Called by the controller when ctx.layer_plan holds a new layer.
  void start_layer();
  Engine engine_kind() const { return kind_; }

 protected:
  struct Timing {
    sc_core::sc_time done;     // absolute time the job's result is available
    sc_core::sc_time free_at;  // absolute time the engine can start its next job
  };
  // A new plan starts (a layer's, or a band of a depth-first group's member): caches keyed by job
  // ids, which every plan numbers from 0, must be forgotten.
  virtual void new_plan() {}
  // Performs one job that may start at `start` (absolute). It may synchronise through qk_ (the
  // DMA does, to interleave long transfers), but never waits for anything else.
  virtual Timing execute(const Job& job, const sc_core::sc_time& start) = 0;
  // Local time of the engine: where its own clock is relative to the kernel's.
  sc_core::sc_time now() const { return sc_core::sc_time_stamp() + qk_.get_local_time(); }

  RunContext& ctx_;
  QuantumKeeper qk_;

 private:
  void run();

  Engine kind_;
  sc_core::sc_event work_;
  bool pending_ = false;
};

}  // namespace conloc
