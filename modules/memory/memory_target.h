#pragma once

#include <tlm>

#include <cstdint>
#include <optional>

#include "modules/memory/transfer_ext.h"

namespace conloc {

// What every memory target of the model (Dram, Sram) does with a transaction before its own
// timing, in one place as the Accellera TLM examples' memories share it: the TLM-2.0 checks (no
// byte enables, a streaming width at least the length, the address range -- every run of a
// strided transaction, TransferExt::runs -- inside `capacity`),
// the payload copied to or from the backing store `store` (not for a timing-only transfer, nor
// when `store` is null: a memory without one), and the bits counted by operand in `counters`.
// Returns the bits moved, or nothing with the response status set when a check fails.
std::optional<std::uint64_t> serve_memory_access(tlm::tlm_generic_payload& trans,
                                                 std::uint8_t* store, std::uint64_t capacity,
                                                 TrafficCounters& counters);

}  // namespace conloc
