#pragma once

#include <systemc>
#include <tlm>

#include <tlm_utils/multi_passthrough_target_socket.h>

#include <cstdint>
#include <vector>

#include "modules/memory/transfer_ext.h"

namespace conloc {

struct DramParams {
  std::uint64_t capacity_bytes = 0;
  double bytes_per_cycle = 16.0;       // sustained bandwidth
  std::uint64_t latency_cycles = 100;  // per transaction, pipelined (overlaps other transfers)
  sc_core::sc_time clock_period = sc_core::sc_time(1, sc_core::SC_NS);
  bool backing_store = true;  // false: timing only, no data is stored or copied
};

// Main memory as a loosely-timed TLM target. The data bus is a single resource: a transfer starts
// when both the request (now + delay) and the bus are ready, occupies the bus for
// bytes / bytes_per_cycle cycles, and completes latency_cycles later. Latency is pipelined, so
// back-to-back bursts stream at full bandwidth. b_transport only adds to `delay`; it never waits.
class Dram : public sc_core::sc_module {
 public:
  // Several initiators (DMA engines, PE array, output stage, vector unit) bind to one port.
  tlm_utils::multi_passthrough_target_socket<Dram> socket;

  Dram(const sc_core::sc_module_name& name, const DramParams& params);

  std::uint8_t* data() { return mem_.data(); }
  std::uint64_t capacity() const { return params_.capacity_bytes; }
  const TrafficCounters& counters() const { return counters_; }
  // Time until which the data bus is occupied (for stall accounting).
  sc_core::sc_time busy_until() const { return busy_until_; }
  const DramParams& params() const { return params_; }

 private:
  void b_transport(int initiator, tlm::tlm_generic_payload& trans, sc_core::sc_time& delay);

  DramParams params_;
  std::vector<std::uint8_t> mem_;
  sc_core::sc_time busy_until_ = sc_core::SC_ZERO_TIME;
  TrafficCounters counters_;
};

}  // namespace conloc
