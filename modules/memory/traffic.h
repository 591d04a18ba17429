#pragma once

#include <cstdint>

// What the memories count, in plain C++: the energy model, the mapper and the reports read these
// without the SystemC kernel (the TLM extension that tags transactions is in transfer_ext.h).
namespace conloc {

// Which operand a transfer moves, so memories can report traffic per operand.
enum class Operand : int { Weights = 0, Inputs = 1, Outputs = 2 };
constexpr int kOperandCount = 3;

// Per-operand read/write bit counters, bumped on the hot path and turned into bytes and energy
// once at the end of a layer.
struct TrafficCounters {
  std::uint64_t read_bits[kOperandCount] = {};
  std::uint64_t write_bits[kOperandCount] = {};
  std::uint64_t transactions = 0;

  TrafficCounters operator-(const TrafficCounters& o) const {
    TrafficCounters d;
    for (int i = 0; i < kOperandCount; ++i) {
      d.read_bits[i] = read_bits[i] - o.read_bits[i];
      d.write_bits[i] = write_bits[i] - o.write_bits[i];
    }
    d.transactions = transactions - o.transactions;
    return d;
  }
  TrafficCounters& operator+=(const TrafficCounters& o) {
    for (int i = 0; i < kOperandCount; ++i) {
      read_bits[i] += o.read_bits[i];
      write_bits[i] += o.write_bits[i];
    }
    transactions += o.transactions;
    return *this;
  }
  std::uint64_t total_read_bits() const { return read_bits[0] + read_bits[1] + read_bits[2]; }
  std::uint64_t total_write_bits() const { return write_bits[0] + write_bits[1] + write_bits[2]; }
};

}  // namespace conloc
