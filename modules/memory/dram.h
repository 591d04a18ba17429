#pragma once

#include <systemc>
#include <tlm>

#include <tlm_utils/multi_passthrough_target_socket.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "modules/memory/backing_store.h"
#include "modules/memory/transfer_ext.h"

namespace conloc {

struct DramParams {
  std::uint64_t capacity_bytes = 0;
  double bytes_per_cycle = 16.0;       // sustained bandwidth
  std::uint64_t latency_cycles = 100;  // per transaction, pipelined (overlaps other transfers)
  sc_core::sc_time clock_period = sc_core::sc_time(1, sc_core::SC_NS);
  bool backing_store = true;  // false: timing only, no data is stored or copied
};

// Main memory as a loosely-timed TLM target. The data bus is a single resource: a transfer takes
// the first free slot of bytes / bytes_per_cycle cycles at or after its request time (now +
// delay), and completes latency_cycles after that slot. Latency is pipelined, so back-to-back
// bursts stream at full bandwidth. b_transport only adds to `delay`; it never waits.
class Dram final : public sc_core::sc_module, public AccessTiming {
 public:
  // Several initiators (DMA engines, PE array, output stage, vector unit) bind to one port.
  tlm_utils::multi_passthrough_target_socket<Dram> socket;

  Dram(const sc_core::sc_module_name& name, const DramParams& params);

  std::uint8_t* data() { return mem_.data(); }
  std::uint64_t capacity() const { return params_.capacity_bytes; }
  const TrafficCounters& counters() const { return counters_; }
  const DramParams& params() const { return params_; }

  // Books the data bus for `bits` requested at `request`: when the access completes. The common
  // case -- a request after every booking, a transfer streaming on its own -- inline (and the
  // class final): the DMA calls this for every burst.
  sc_core::sc_time complete(const sc_core::sc_time& request, std::uint64_t bits) override {
    if (bits != last_bits_) {  // a DMA's bursts are mostly of one size: priced once
      last_bits_ = bits;
      last_length_ = bus_time(bits);
    }
    if (request >= free_from()) {
      append(request, last_length_);
      return request + last_length_ + latency_;
    }
    return book(request);
  }

  // The bus time of an access of `bits`, and the latency after it.
  sc_core::sc_time bus_time(std::uint64_t bits) const {
    return params_.clock_period * (static_cast<double>(bits) / 8.0 / params_.bytes_per_cycle);
  }
  const sc_core::sc_time& latency() const { return latency_; }
  // From when the bus is free for good: the end of its last booking.
  sc_core::sc_time free_from() const {
    return busy_.empty() ? sc_core::SC_ZERO_TIME : busy_.back().second;
  }
  // Books `length` of the bus from `start`, at or after free_from(): what complete does for
  // each request after every booking, for a DMA that books a run of back-to-back bursts at once.
  void append(const sc_core::sc_time& start, const sc_core::sc_time& length) {
    // Bookings that ended before the kernel's current time could be dropped first (book does);
    // a request after the last booking takes the same slot either way.
    if (busy_.size() > prune_at_) {
      prune();
      // Again only once as many more are kept: bookings the kernel's time has not passed yet
      // (a quantum's worth) stay, and trying at every burst cost a call to the kernel each.
      prune_at_ = std::max(kPruneAt, 2 * busy_.size());
    }
    if (!busy_.empty() && busy_.back().second == start) {
      busy_.back().second = start + length;
    } else {
      busy_.push_back({start, start + length});
    }
  }

 private:
  void b_transport(int initiator, tlm::tlm_generic_payload& trans, sc_core::sc_time& delay);
  // Drops the bookings that ended before the kernel's current time: no request comes before it,
  // so they can no longer collide with one.
  void prune();
  // complete's general case: the first free gap of last_length_ at or after `request` (a request
  // after every booking gets the slot complete's streaming case would give it).
  sc_core::sc_time book(const sc_core::sc_time& request);
  static constexpr std::size_t kPruneAt = 64;  // bookings kept before the streaming case prunes
  std::size_t prune_at_ = kPruneAt;            // ... and after the last time it did

  DramParams params_;
  BackingStore mem_;
  // Reserved intervals of the data bus, start -> end. Initiators are temporally decoupled, so
  // requests arrive in call order, not time order; booking the earliest free gap at or after each
  // request time keeps the bus timing independent of that order (a plain "busy until" counter
  // would let a run-ahead initiator push an earlier request behind its future bursts). Sorted by
  // start and disjoint (so sorted by end too); touching neighbours merged, so it stays short:
  // a vector, not a node-per-booking map (a DMA books one interval per burst, millions a run).
  std::vector<std::pair<sc_core::sc_time, sc_core::sc_time>> busy_;
  TrafficCounters counters_;
  sc_core::sc_time latency_;                     // latency_cycles as a time
  std::uint64_t last_bits_ = ~std::uint64_t{0};  // complete's last access size and its bus time
  sc_core::sc_time last_length_;
};

}  // namespace conloc
