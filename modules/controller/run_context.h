#pragma once

#include <systemc>

#include <cstdint>
#include <vector>

#include "modules/controller/layer_plan.h"
#include "modules/memory/transfer_ext.h"
#include "modules/pe_array/dataflow_model.h"

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
  bool ready_time(const std::vector<int>& deps, sc_core::sc_time& t) const;
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

// First and last cycle an operand moved on one side of a transfer, and how many elements.
struct AccessWindow {
  double start = -1.0;
  double stop = -1.0;
  std::uint64_t elements = 0;
  void add(double t0, double t1, std::uint64_t n) {
    if (start < 0 || t0 < start) start = t0;
    if (t1 > stop) stop = t1;
    elements += n;
  }
};

// What the engines measured during one layer (cycles are at the accelerator clock).
struct LayerRunStats {
  std::uint64_t compute_cycles = 0;  // PE array (or vector unit, for vector layers) busy
  std::uint64_t stall_cycles = 0;    // ... idle, waiting for operands or a free buffer half
  std::uint64_t output_stage_outputs = 0;
  std::uint64_t vector_ops = 0;
  std::uint64_t tiles = 0;
  std::uint64_t dma_transactions = 0;
  // (code in use, activation value) pairs whose product from the MAC datapath is not
  // activation x the code's weight: the fast GEMM could not reproduce the datapath.
  std::uint64_t datapath_mismatches = 0;
  TileTiming array;          // summed over tiles: folds, standard cycles, accesses, register writes
  double compute_end = 0.0;  // cycle the last compute job ended
  AccessWindow dram_read[kOperandCount];
  AccessWindow dram_write[kOperandCount];
  AccessWindow
      sram_access[kOperandCount];  // array-side SRAM reads (ifmap, filter) and writes (ofmap)
};

// One job on one engine, for the timeline (cycles since the start of the run).
struct TraceEvent {
  Engine engine;
  int layer;
  double start;
  double end;
};

// Shared, per-run state the controller sets up for each layer and the engines read.
struct RunContext {
  const CompiledNetwork* network = nullptr;
  const NetworkPlan* plan = nullptr;
  const DataflowModel* dataflow = nullptr;
  ArrayDims array;
  bool functional = true;
  int code_bits = 8;
  int acc_bits = 32;
  int act_bits = 8;  // design.activation_bits: bits an activation moves as (stored one per byte)
  int activation_bits = 8;
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
  std::vector<std::int32_t> decode;  // code -> weight of the current layer, from the datapath
  LayerRunStats stats;
  JobBoard board;
  std::vector<TraceEvent> trace;
  sc_core::sc_time layer_start;

  double cycles_of(const sc_core::sc_time& t) const { return t / period; }
};

}  // namespace conloc
