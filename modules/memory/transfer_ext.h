#pragma once

#include <tlm>

#include <cstdint>

#include "modules/memory/traffic.h"

namespace conloc {

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

}  // namespace conloc
