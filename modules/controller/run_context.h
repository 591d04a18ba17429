#pragma once

#include <systemc>

#include <cstdint>
#include <vector>

#include "modules/controller/layer_plan.h"
#include "modules/controller/layer_stats.h"
#include "modules/dataflow/dataflow_model.h"

namespace conloc {

struct CompiledNetwork;
class MacModel;

// Completion times of a layer's jobs. Engines are loosely timed and temporally decoupled: an
// engine knows when each of its jobs completes as soon as it has executed it, so it records the
// absolute completion time here instead of waiting for it. A consumer waits only while a
// dependency has not been executed yet.
class JobBoard {
 public:
  void reset(std::size_t jobs);
  void schedule(int id, const sc_core::sc_time& done_at);
  bool scheduled(int id) const { return scheduled_[static_cast<std::size_t>(id)]; }
  const sc_core::sc_time& done_at(int id) const { return done_at_[static_cast<std::size_t>(id)]; }
  // Absolute time at which every dependency is complete, or false if one is not scheduled yet.
  bool ready_time(const JobDeps& deps, sc_core::sc_time& t) const;
  const sc_core::sc_event& scheduled_event() const { return scheduled_event_; }
  std::size_t remaining() const { return remaining_; }
  const sc_core::sc_time& last_done() const { return last_done_; }

 private:
  std::vector<sc_core::sc_time> done_at_;
  std::vector<bool> scheduled_;
  std::size_t remaining_ = 0;
  sc_core::sc_time last_done_;
  sc_core::sc_event scheduled_event_;
};

// Shared, per-run state the controller sets up for each layer and the engines read.
struct RunContext {
  const CompiledNetwork* network = nullptr;
  const NetworkPlan* plan = nullptr;
  const DataflowModel* dataflow = nullptr;
  ArrayDims array;
  bool functional = true;
  Widths widths;  // the compiled network's: activations move at activation_bits (stored one per
                  // byte), partial sums at accumulator_bits
  int output_lanes = 16;
  int vector_lanes = 16;
  std::uint32_t burst_bytes = 64;
  std::size_t max_outstanding = 32;
  std::uint64_t weight_buffer_bytes = 0;
  sc_core::sc_time period = sc_core::sc_time(1, sc_core::SC_NS);

  // The MAC datapath of each layer (null for vector layers): the functional model's weights come
  // from it, not from the compiler's levels.
  std::vector<const MacModel*> layer_macs;

  int layer = -1;
  const LayerPlan* layer_plan = nullptr;
  const std::vector<Job>* jobs = nullptr;  // the layer plan's, kept or made (LayerPlan::jobs_of)
  std::vector<std::int32_t> decode;        // code -> weight of the current layer, from the datapath
  LayerRunStats stats;
  JobBoard board;
  bool record_trace = false;  // fill `trace` (`run` and `compare` write it as timeline.json)
  std::vector<TraceEvent> trace;
  sc_core::sc_time layer_start;

  // When this accelerator started: accelerators simulated in one kernel run one after another
  // (Controller::start_after), each from a multiple of the global quantum, so each sees exactly
  // the timing it would see alone. Reported times are since the origin.
  sc_core::sc_time origin;

  double cycles_of(const sc_core::sc_time& t) const { return t / period; }            // a duration
  double cycle_at(const sc_core::sc_time& t) const { return (t - origin) / period; }  // a time
};

}  // namespace conloc
