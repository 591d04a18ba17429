#pragma once

#include <tlm>

#include <cstdint>

#include "modules/memory/transfer_ext.h"

namespace conloc {

// What every memory target of the model (Dram, Sram) does with a transaction, in one place as the
// Accellera TLM examples' memories share it: the TLM-2.0 checks (no byte enables, a streaming
// width at least the length, the address range -- every run of a strided transaction,
// TransferExt::runs -- inside `capacity`), the payload copied to or from the backing store
// `store` (not for a timing-only transfer, nor when `store` is null: a memory without one), the
// bits counted by operand in `counters`, and the access timed by the memory's `timing` (`delay`
// becomes the time to its completion) -- or, for an untimed transaction, `timing` handed to the
// initiator, which times the bursts itself (TransferExt::untimed). False, with the response
// status set, when a check fails.
bool serve_memory_access(tlm::tlm_generic_payload& trans, std::uint8_t* store,
                         std::uint64_t capacity, TrafficCounters& counters, AccessTiming& timing,
                         sc_core::sc_time& delay);

}  // namespace conloc
