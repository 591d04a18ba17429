#include "modules/memory/memory_target.h"

#include <cstring>

namespace conloc {

std::optional<std::uint64_t> serve_memory_access(tlm::tlm_generic_payload& trans,
                                                 std::uint8_t* store, std::uint64_t capacity,
                                                 TrafficCounters& counters) {
  const std::uint64_t addr = trans.get_address();
  const unsigned len = trans.get_data_length();
  if (trans.get_byte_enable_ptr() != nullptr) {
    trans.set_response_status(tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE);
    return std::nullopt;
  }
  if (trans.get_streaming_width() < len) {
    trans.set_response_status(tlm::TLM_BURST_ERROR_RESPONSE);
    return std::nullopt;
  }
  if (addr + len > capacity || addr + len < addr) {
    trans.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    return std::nullopt;
  }
  TransferExt* ext = nullptr;
  trans.get_extension(ext);
  const std::uint64_t bits = transfer_bits(trans, ext);
  const int op = static_cast<int>(ext != nullptr ? ext->operand : Operand::Inputs);
  const bool copy = store != nullptr && (ext == nullptr || !ext->timing_only);
  if (trans.is_read()) {
    if (copy) std::memcpy(trans.get_data_ptr(), store + addr, len);
    counters.read_bits[op] += bits;
  } else if (trans.is_write()) {
    if (copy) std::memcpy(store + addr, trans.get_data_ptr(), len);
    counters.write_bits[op] += bits;
  }
  ++counters.transactions;
  return bits;
}

}  // namespace conloc
