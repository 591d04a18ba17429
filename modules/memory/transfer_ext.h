#pragma once

#include <systemc>
#include <tlm>

#include <cstdint>

#include "modules/memory/traffic.h"

namespace conloc {

// When a memory serves an access, as a function of when it is requested: what an initiator that
// moves a train of bursts calls once per burst (the DMA), so each burst is timed exactly as its
// own b_transport would time it, without a transaction per burst. Absolute simulation times.
class AccessTiming {
 public:
  virtual ~AccessTiming() = default;
  // When an access of `bits` requested at `request` completes (a contended memory books it).
  virtual sc_core::sc_time complete(const sc_core::sc_time& request, std::uint64_t bits) = 0;

 protected:
  AccessTiming() = default;
  AccessTiming(const AccessTiming&) = default;
  AccessTiming& operator=(const AccessTiming&) = default;
};

// Ignorable TLM extension carried by every transaction of the model. It tags the operand, gives
// the exact number of bits when packed code words do not fill the last byte, and marks
// timing-only transfers (no payload data is copied; --timing-only runs and count-only accesses).
//
// A DMA moves a whole strided transfer in one transaction: `runs` runs of data_length / runs
// bytes each, `stride` bytes apart in the target (or in rows, `row_runs`) (packed back to back in
// the data buffer), and marks it `untimed`: the target copies and counts it but adds no delay, and
// answers with its timing in `timing`, through which the DMA then books the transfer's bursts one
// by one.
class TransferExt : public tlm::tlm_extension<TransferExt> {
 public:
  Operand operand = Operand::Inputs;
  std::uint64_t bits = 0;  // 0: data_length * 8
  bool timing_only = false;
  std::uint32_t runs = 1;
  std::uint64_t stride = 0;
  // Runs in rows of `row_runs` (0: one row), rows `row_stride` bytes apart: run r starts at
  // (r / row_runs) * row_stride + (r % row_runs) * stride.
  std::uint32_t row_runs = 0;
  std::uint64_t row_stride = 0;
  bool untimed = false;
  AccessTiming* timing = nullptr;  // set by the target of an untimed transaction

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
