#pragma once

#include <systemc>
#include <tlm>

#include <cstdint>
#include <initializer_list>
#include <vector>

#include "modules/base/error.h"
#include "modules/memory/transfer_ext.h"

namespace conloc {

// Helpers for the engines that work on buffer contents in place (PE array, compensation adder,
// vector unit): they reach the data through DMI and report what they stream with count-only
// transactions, so every access is counted by the buffer it hits.

// Sets a stack-held extension on payloads for a scope and clears it on every way out, exceptions
// included: a payload destroyed with it still set would free an object that is not its own.
class ScopedExtension {
 public:
  ScopedExtension(std::initializer_list<tlm::tlm_generic_payload*> payloads, TransferExt* ext)
      : payloads_(payloads), ext_(ext) {
    for (auto* p : payloads_)
      p->set_extension(ext_);
  }
  ~ScopedExtension() {
    for (auto* p : payloads_)
      p->clear_extension(ext_);
  }
  ScopedExtension(const ScopedExtension&) = delete;
  ScopedExtension& operator=(const ScopedExtension&) = delete;

 private:
  std::vector<tlm::tlm_generic_payload*> payloads_;
  TransferExt* ext_;
};

// A buffer's storage as one DMI region. `at` hands out a range of it only when the whole range
// lies inside: a plan that addressed past its buffer stops with an error, not a stray write.
struct DmiRegion {
  std::uint8_t* data = nullptr;
  std::uint64_t size = 0;
  std::uint8_t* at(std::uint64_t addr, std::uint64_t bytes, const char* who) const {
    CONLOC_ASSERT(addr <= size && bytes <= size - addr, who,
                  "access of " + std::to_string(bytes) + " bytes at " + std::to_string(addr) +
                      " outside a buffer of " + std::to_string(size));
    return data + addr;
  }
};

// The buffer's storage behind an initiator socket (the whole buffer is one DMI region).
template <class Socket>
DmiRegion dmi_region(Socket& socket, const char* who) {
  tlm::tlm_generic_payload t;
  tlm::tlm_dmi d;
  t.set_address(0);
  t.set_command(tlm::TLM_READ_COMMAND);
  CONLOC_ASSERT(socket->get_direct_mem_ptr(t, d), who, "buffer refused DMI");
  return {d.get_dmi_ptr(), d.get_end_address() - d.get_start_address() + 1};
}

// Counts `bits` read or written by `op` at the buffer. The port time the target reports is not
// added: these streams are sized to the buffer ports, and their engine's cycles come from its own
// closed form.
template <class Socket>
void count_access(Socket& socket, tlm::tlm_command cmd, Operand op, std::uint64_t bits,
                  const char* who) {
  if (bits == 0) return;
  TransferExt ext;
  ext.operand = op;
  ext.bits = bits;
  ext.timing_only = true;
  // One payload per engine type, reused (building one allocates its extension array); the target
  // is done with it when b_transport returns.
  static tlm::tlm_generic_payload t;
  static std::uint8_t dummy = 0;
  const ScopedExtension scoped({&t}, &ext);
  t.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  t.set_command(cmd);
  t.set_address(0);
  t.set_data_ptr(&dummy);
  t.set_data_length(1);
  t.set_streaming_width(1);
  sc_core::sc_time ignored = sc_core::SC_ZERO_TIME;
  socket->b_transport(t, ignored);
  CONLOC_ASSERT(!t.is_response_error(), who, "count-only access rejected");
}

}  // namespace conloc
