#include "modules/memory/memory_target.h"

#include <cstring>

namespace conloc {

bool serve_memory_access(tlm::tlm_generic_payload& trans, std::uint8_t* store,
                         std::uint64_t capacity, TrafficCounters& counters, AccessTiming& timing,
                         sc_core::sc_time& delay) {
  const std::uint64_t addr = trans.get_address();
  const unsigned len = trans.get_data_length();
  if (trans.get_byte_enable_ptr() != nullptr) {
    trans.set_response_status(tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE);
    return false;
  }
  if (trans.get_streaming_width() < len) {
    trans.set_response_status(tlm::TLM_BURST_ERROR_RESPONSE);
    return false;
  }
  TransferExt* ext = nullptr;
  trans.get_extension(ext);
  // A strided transaction (TransferExt::runs): runs of len / runs bytes, stride apart, in rows
  // of row_runs runs, row_stride apart.
  const std::uint64_t runs = ext != nullptr ? ext->runs : 1;
  const std::uint64_t stride = ext != nullptr ? ext->stride : 0;
  const std::uint64_t per_row = ext != nullptr && ext->row_runs != 0 ? ext->row_runs : runs;
  const std::uint64_t row_stride = ext != nullptr ? ext->row_stride : 0;
  if (runs == 0 || len % runs != 0 || runs % per_row != 0) {
    trans.set_response_status(tlm::TLM_GENERIC_ERROR_RESPONSE);
    return false;
  }
  const std::uint64_t run = len / runs;
  // The last run's end, refused when past the capacity or when the sum wraps (strides and
  // addresses grow, so the last run reaches furthest).
  std::uint64_t in_row = 0, across = 0, reach = 0, end = 0;
  if (__builtin_mul_overflow(per_row - 1, stride, &in_row) ||
      __builtin_mul_overflow(runs / per_row - 1, row_stride, &across) ||
      __builtin_add_overflow(in_row, across, &reach) || __builtin_add_overflow(addr, reach, &end) ||
      __builtin_add_overflow(end, run, &end) || end > capacity) {
    trans.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    return false;
  }
  auto at = [&](std::uint64_t r) { return addr + r / per_row * row_stride + r % per_row * stride; };
  const std::uint64_t bits = transfer_bits(trans, ext);
  const int op = static_cast<int>(ext != nullptr ? ext->operand : Operand::Inputs);
  const bool copy = store != nullptr && (ext == nullptr || !ext->timing_only);
  if (trans.is_read()) {
    if (copy) {
      for (std::uint64_t r = 0; r < runs; ++r)
        std::memcpy(trans.get_data_ptr() + r * run, store + at(r), run);
    }
    counters.read_bits[op] += bits;
  } else if (trans.is_write()) {
    if (copy) {
      for (std::uint64_t r = 0; r < runs; ++r)
        std::memcpy(store + at(r), trans.get_data_ptr() + r * run, run);
    }
    counters.write_bits[op] += bits;
  }
  ++counters.transactions;
  trans.set_response_status(tlm::TLM_OK_RESPONSE);
  if (ext != nullptr && ext->untimed) {
    ext->timing = &timing;
  } else {
    const sc_core::sc_time now = sc_core::sc_time_stamp();
    delay = timing.complete(now + delay, bits) - now;
  }
  return true;
}

}  // namespace conloc
