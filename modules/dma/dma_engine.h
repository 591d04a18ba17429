#pragma once

#include <systemc>
#include <tlm>

#include <tlm_utils/simple_initiator_socket.h>

#include <deque>
#include <vector>

#include "modules/controller/job_engine.h"

namespace conloc {

// DMA between DRAM and the three on-chip buffers. One instance moves data in (DRAM -> SRAM, the
// DmaRead jobs), another moves results out (SRAM -> DRAM, DmaWrite). A transfer is cut into
// bursts of at most burst_bytes, each one TLM transaction on each side. Bursts are issued back to
// back, one per cycle, with up to dram.max_outstanding in flight: the DRAM target serialises them
// on its data bus, so a transfer streams at DRAM bandwidth and pays the latency once, and the
// bounded window keeps one DMA from booking the bus far ahead of the other.
class DmaEngine : public JobEngine {
 public:
  tlm_utils::simple_initiator_socket<DmaEngine> dram_socket;
  tlm_utils::simple_initiator_socket<DmaEngine> sram_socket[3];  // indexed by Buffer

  DmaEngine(const sc_core::sc_module_name& name, RunContext& ctx, Engine kind);

 private:
  Timing execute(const Job& job, const sc_core::sc_time& start) override;

  std::vector<std::uint8_t> staging_;
  tlm::tlm_generic_payload dram_payload_, sram_payload_;
  std::deque<sc_core::sc_time> outstanding_;  // completion times of bursts in flight
};

}  // namespace conloc
