#include "modules/memory/dram.h"

#include <algorithm>
#include <iterator>

#include "modules/base/error.h"
#include "modules/memory/memory_target.h"

namespace conloc {

Dram::Dram(const sc_core::sc_module_name& name, const DramParams& params)
    : sc_module(name),
      socket("socket"),
      params_(params),
      mem_(params.backing_store ? params.capacity_bytes : 0),
      latency_(params.clock_period * static_cast<double>(params.latency_cycles)) {
  CONLOC_ASSERT(params.bytes_per_cycle > 0, this->name(), "bandwidth must be positive");
  socket.register_b_transport(this, &Dram::b_transport);
}

void Dram::b_transport(int, tlm::tlm_generic_payload& trans, sc_core::sc_time& delay) {
  serve_memory_access(trans, mem_.data(), params_.capacity_bytes, counters_, *this, delay);
}

void Dram::prune() {
  const sc_core::sc_time now = sc_core::sc_time_stamp();
  if (!busy_.empty() && busy_.front().second <= now) {
    busy_.erase(busy_.begin(), std::find_if(busy_.begin(), busy_.end(),
                                            [&](const auto& b) { return b.second > now; }));
  }
}

sc_core::sc_time Dram::book(const sc_core::sc_time& request) {
  prune();
  const sc_core::sc_time length = last_length_;
  const sc_core::sc_time latency = latency_;
  auto by_start = [](const auto& b, const sc_core::sc_time& t) { return b.first < t; };
  // First gap of `length` at or after the request.
  sc_core::sc_time start = request;
  auto it = std::upper_bound(busy_.begin(), busy_.end(), start,
                             [](const sc_core::sc_time& t, const auto& b) { return t < b.first; });
  if (it != busy_.begin() && std::prev(it)->second > start) start = std::prev(it)->second;
  while (it != busy_.end() && it->first < start + length) {
    if (it->second > start) start = it->second;
    ++it;
  }
  // Book it, merging with touching neighbours so the list stays short for streaming transfers.
  sc_core::sc_time end = start + length;
  auto next = std::lower_bound(busy_.begin(), busy_.end(), end, by_start);
  if (next != busy_.end() && next->first == end) {
    end = next->second;
    busy_.erase(next);
  }
  auto before = std::lower_bound(busy_.begin(), busy_.end(), start, by_start);
  if (before != busy_.begin() && std::prev(before)->second == start) {
    std::prev(before)->second = end;
  } else if (before != busy_.end() && before->first == start) {
    before->second = end;
  } else {
    busy_.insert(before, {start, end});
  }
  return start + length + latency;
}

}  // namespace conloc
