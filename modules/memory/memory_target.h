#pragma once

#include <tlm>

#include <cstdint>

#include "modules/memory/transfer_ext.h"

namespace conloc {

// What every memory target of the model (Dram, Sram) does with a transaction before its own
// timing, in one place as the Accellera TLM examples' memories share it: the TLM-2.0 checks (no
// byte enables, a streaming width at least the length, the address range inside `capacity`),
// the payload copied to or from the backing store `store` (not for a timing-only transfer, nor
// when `store` is null: a memory without one), and the bits counted by operand in `counters`.
// Returns whether it served the transaction, with the bits moved in `bits`; when a check fails,
// false with the response status set. (Not a std::optional: on every transaction of a run, GCC
// built the optional on the stack a byte at a time and read it back whole, a store-forwarding
// stall that was most of this function's time.)
bool serve_memory_access(tlm::tlm_generic_payload& trans, std::uint8_t* store,
                         std::uint64_t capacity, TrafficCounters& counters, std::uint64_t& bits);

}  // namespace conloc
