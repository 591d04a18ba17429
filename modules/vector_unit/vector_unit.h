#pragma once

#include <systemc>
#include <tlm>

#include <tlm_utils/simple_initiator_socket.h>

#include "modules/controller/job_engine.h"
#include "modules/memory/buffer_access.h"

namespace conloc {

// The vector unit runs the layers the PE array does not: max / average / global pooling,
// residual add and ReLU / ReLU6. `lanes` element operations per cycle (a window compare or add,
// or one add with its two rescale multiplies). Inputs come from the activation SRAM, results go
// to the output buffer and out through the DMA. Its operations are counted and costed.
class VectorUnit : public JobEngine {
 public:
  tlm_utils::simple_initiator_socket<VectorUnit> act_socket;
  tlm_utils::simple_initiator_socket<VectorUnit> out_socket;

  VectorUnit(const sc_core::sc_module_name& name, RunContext& ctx);

 private:
  Timing execute(const Job& job, const sc_core::sc_time& start) override;
  void compute_values(const Job& job);
  DmiRegion act_, out_;
};

}  // namespace conloc
