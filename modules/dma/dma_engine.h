#pragma once

#include <systemc>
#include <tlm>

#include <tlm_utils/simple_initiator_socket.h>

#include <vector>

#include "modules/controller/job_engine.h"
#include "modules/memory/transfer_ext.h"

namespace conloc {

class Dram;

// DMA between DRAM and the three on-chip buffers. One instance moves data in (DRAM -> SRAM, the
// DmaRead jobs), another moves results out (SRAM -> DRAM, DmaWrite). A transfer's data moves in
// one strided TLM transaction on each side (TransferExt::runs), untimed; its timing is that of
// bursts of at most burst_bytes, each booked through the memories' AccessTiming as its own
// transaction would be. Bursts are issued back to back, one per cycle, with up to
// dram.max_outstanding in flight: the DRAM serialises them on its data bus, so a transfer streams
// at DRAM bandwidth and pays the latency once, and the bounded window keeps one DMA from booking
// the bus far ahead of the other. (A transaction per burst cost a third of a sweep's time.)
class DmaEngine : public JobEngine {
 public:
  tlm_utils::simple_initiator_socket<DmaEngine> dram_socket;
  tlm_utils::simple_initiator_socket<DmaEngine> sram_socket[3];  // indexed by Buffer

  DmaEngine(const sc_core::sc_module_name& name, RunContext& ctx, Engine kind);

 private:
  using Socket = tlm_utils::simple_initiator_socket<DmaEngine>;
  Timing execute(const Job& job, const sc_core::sc_time& start) override;
  AccessTiming& move_whole(tlm::tlm_generic_payload& t, Socket& socket, tlm::tlm_command cmd,
                           std::uint64_t addr, std::uint64_t stride, std::uint32_t row_runs,
                           std::uint64_t row_stride, const Transfer& x, TransferExt& ext);
  // Books the bursts of transfer `x` from `start`: when the last completes, and when the next
  // may issue. Instantiated for the memories' own classes, so that the per-burst calls inline.
  template <class Far, class Near>
  Timing bursts(const Transfer& x, bool inbound, const sc_core::sc_time& start, Far& far,
                Near& near);

  // A run of alike bursts' times: issue to completion, issue to the DRAM request, bus time.
  struct Wave {
    sc_core::sc_time c, offset, bus;
  };
  // Up to `most` more bursts of `w` issued in whole waves (dma_engine.cpp), if the engine's
  // state is a wave's: how many.
  std::uint64_t waves(const Wave& w, Dram& dram, std::uint64_t most, sc_core::sc_time& next_issue,
                      sc_core::sc_time& done);

  std::vector<std::uint8_t> staging_;
  tlm::tlm_generic_payload dram_payload_, sram_payload_;
  // Completion times of the bursts in flight, oldest first: a ring of max_outstanding slots.
  std::vector<sc_core::sc_time> outstanding_;
  std::size_t oldest_ = 0, in_flight_ = 0;
  std::vector<sc_core::sc_time> wave_issue_;  // waves(): when each burst of a wave issues
};

}  // namespace conloc
