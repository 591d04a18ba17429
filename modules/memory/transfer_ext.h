#pragma once

#include <tlm>

#include <cstdint>

namespace conloc {

// Which operand a transfer moves, so memories can report traffic per operand.
enum class Operand : int { Weights = 0, Inputs = 1, Outputs = 2 };
constexpr int kOperandCount = 3;

// Ignorable TLM extension carried by every transaction of the model. It tags the operand, gives
// the exact number of bits when packed code words do not fill the last byte, and marks
// timing-only transfers (no payload data is copied; --timing-only runs and count-only accesses).
class TransferExt : public tlm::tlm_extension<TransferExt> {
 public:
  Operand operand = Operand::Inputs;
  std::uint64_t bits = 0;  // 0: data_length * 8
  bool timing_only = false;

  tlm::tlm_extension_base* clone() const override { return new TransferExt(*this); }
  void copy_from(const tlm::tlm_extension_base& other) override {
    *this = static_cast<const TransferExt&>(other);
  }
};

// Bits a transaction moves, honouring TransferExt::bits.
inline std::uint64_t transfer_bits(const tlm::tlm_generic_payload& t, const TransferExt* ext) {
  return ext != nullptr && ext->bits != 0 ? ext->bits : std::uint64_t{t.get_data_length()} * 8;
}

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
  std::uint64_t total_read_bits() const { return read_bits[0] + read_bits[1] + read_bits[2]; }
  std::uint64_t total_write_bits() const { return write_bits[0] + write_bits[1] + write_bits[2]; }
};

}  // namespace conloc
