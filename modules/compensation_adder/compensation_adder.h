#pragma once

#include <systemc>
#include <tlm>

#include <tlm_utils/simple_initiator_socket.h>

#include <cstdint>

#include "modules/controller/job_engine.h"
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
class CompensationAdder : public JobEngine {
 public:
  tlm_utils::simple_initiator_socket<CompensationAdder> out_socket;

  CompensationAdder(const sc_core::sc_module_name& name, RunContext& ctx);

 private:
  Timing execute(const Job& job, const sc_core::sc_time& start) override;
  void apply_fused_layer(const ConvTile& t, std::uint8_t* results) const;
  DmiRegion dmi_;
};

}  // namespace conloc
