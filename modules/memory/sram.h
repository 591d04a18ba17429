#pragma once

#include <systemc>
#include <tlm>

#include <tlm_utils/multi_passthrough_target_socket.h>

#include <cstdint>
#include <string>
#include <vector>

#include "modules/memory/backing_store.h"
#include "modules/memory/transfer_ext.h"

namespace conloc {

struct SramParams {
  std::uint64_t capacity_bytes = 0;
  std::uint64_t port_bytes_per_cycle = 64;  // write/read port width seen by the DMA
  sc_core::sc_time clock_period = sc_core::sc_time(1, sc_core::SC_NS);
  bool backing_store = true;  // false: timing only, no data is stored or copied
};

// On-chip SRAM (encoded weight buffer, activation SRAM, output buffer) as a TLM target with
// real storage. The DMA writes and reads it with b_transport (port-width limited); the PE array
// and the output stage read operands through DMI and report their streamed accesses with
// count-only transactions, so every access is counted by the buffer it hits.
class Sram final : public sc_core::sc_module, public AccessTiming {
 public:
  // Several initiators (DMA engines, PE array, output stage, vector unit) bind to one port.
  tlm_utils::multi_passthrough_target_socket<Sram> socket;

  Sram(const sc_core::sc_module_name& name, const SramParams& params);

  std::uint8_t* data() { return mem_.data(); }
  std::uint64_t capacity() const { return params_.capacity_bytes; }
  const TrafficCounters& counters() const { return counters_; }
  const SramParams& params() const { return params_; }

  // The port moves port_bytes_per_cycle per cycle: when an access of `bits` completes. Inline
  // (and the class final): the DMA calls it for every burst.
  sc_core::sc_time complete(const sc_core::sc_time& request, std::uint64_t bits) override {
    if (bits != last_bits_) {  // a DMA's bursts are mostly of one size: priced once
      last_bits_ = bits;
      last_time_ = access_time(bits);
    }
    return request + last_time_;
  }
  // The port's time for an access of `bits`.
  sc_core::sc_time access_time(std::uint64_t bits) const {
    const std::uint64_t bytes = (bits + 7) / 8;
    const std::uint64_t cycles =
        (bytes + params_.port_bytes_per_cycle - 1) / params_.port_bytes_per_cycle;
    return params_.clock_period * static_cast<double>(cycles);
  }

 private:
  void b_transport(int initiator, tlm::tlm_generic_payload& trans, sc_core::sc_time& delay);
  bool get_direct_mem_ptr(int initiator, tlm::tlm_generic_payload& trans, tlm::tlm_dmi& dmi);

  SramParams params_;
  BackingStore mem_;
  TrafficCounters counters_;
  std::uint64_t last_bits_ = ~std::uint64_t{0};  // complete's last access size and its time
  sc_core::sc_time last_time_;
};

}  // namespace conloc
