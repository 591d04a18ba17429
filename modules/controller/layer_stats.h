#pragma once

#include <cstdint>

#include "modules/controller/layer_plan.h"
#include "modules/memory/traffic.h"

// What the engines and memories measured for one layer, as plain values: the energy model, the
// mapper and the reports cost and print these without the SystemC kernel (a test includes this
// header in a translation unit that must not see SystemC).
namespace conloc {

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
  // A fused output stage (LayerPlan::fused_layer): the layer it applied and its element
  // operations, priced as that layer's vector-unit work.
  int fused_layer = -1;
  std::uint64_t fused_ops = 0;
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

// Traffic one memory saw during one layer.
struct LayerTraffic {
  TrafficCounters dram, weight_buffer, activation_sram, output_buffer;
};

struct LayerResult {
  LayerRunStats stats;
  LayerTraffic traffic;
  std::uint64_t cycles = 0;  // first job start to last job end
  double start_cycle = 0.0;
};

}  // namespace conloc
