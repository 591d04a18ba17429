#pragma once

#include <systemc>
#include <tlm>

#include <tlm_utils/simple_initiator_socket.h>

#include <cstdint>

#include "modules/controller/job_engine.h"
#include "modules/layers/layer_kind.h"
#include "modules/memory/buffer_access.h"

namespace conloc {

// Output stage of the PE array, one lane per array column. Per output it adds the channel's bias
// -- into which the offline step folded the weight-error compensation constant, so compensation
// costs no extra operation -- rescales with a 15-bit multiplier and a rounding shift, and clamps
// (the activation function). Results are written back in place into the output buffer for the
// DMA to drain. Its operations are counted for the energy model. A fused output stage
// (mapping.fusion = fused-stage) then applies the fused element-wise layer to each result and the
// fused layer's other operands, which the DMA brought into the output buffer: one more pipeline
// stage at the same rate (NVDLA's SDP element-wise stage), its operations priced as that layer's.
// A fused pooling layer instead reduces each window of the tile's results (NVDLA's PDP in line):
// the tile computes the output rows its pooled rows' windows need, and writes the pooled rows.
class CompensationAdder : public JobEngine {
 public:
  tlm_utils::simple_initiator_socket<CompensationAdder> out_socket;

  CompensationAdder(const sc_core::sc_module_name& name, RunContext& ctx);

 private:
  Timing execute(const Job& job, const sc_core::sc_time& start) override;
  // The layer this layer's output stage applies (LayerPlan::fused_layer), as both paths read it.
  struct Fused {
    const Layer& layer;
    const CompiledLayer& compiled;
    const LayerKind& kind;
    int own;  // the tensor this layer computes, one of the fused layer's inputs
  };
  Fused fused() const;
  void apply_fused_layer(const ConvTile& t, std::uint8_t* results) const;
  // A fused pooling layer (its kind's rows reach a window): the tile's pooled rows, computed from
  // its requantised results and stored where they start; `pooled` counts them (0: no pooling).
  void apply_fused_pool(const ConvTile& t, std::uint8_t* results) const;
  std::uint64_t pooled(const ConvTile& t) const;
  DmiRegion dmi_;
};

}  // namespace conloc
