#include "modules/memory/sram.h"

#include "modules/base/error.h"
#include "modules/memory/memory_target.h"

namespace conloc {

Sram::Sram(const sc_core::sc_module_name& name, const SramParams& params)
    : sc_module(name),
      socket("socket"),
      params_(params),
      mem_(params.backing_store ? params.capacity_bytes : 0) {
  CONLOC_ASSERT(params.port_bytes_per_cycle > 0, this->name(), "port width must be positive");
  socket.register_b_transport(this, &Sram::b_transport);
  socket.register_get_direct_mem_ptr(this, &Sram::get_direct_mem_ptr);
}

void Sram::b_transport(int, tlm::tlm_generic_payload& trans, sc_core::sc_time& delay) {
  if (serve_memory_access(trans, mem_.data(), params_.capacity_bytes, counters_, *this, delay))
    trans.set_dmi_allowed(true);
}

bool Sram::get_direct_mem_ptr(int, tlm::tlm_generic_payload& trans, tlm::tlm_dmi& dmi) {
  (void)trans;
  if (mem_.empty()) return false;
  dmi.set_dmi_ptr(mem_.data());
  dmi.set_start_address(0);
  dmi.set_end_address(mem_.empty() ? 0 : mem_.size() - 1);
  dmi.allow_read_write();
  dmi.set_read_latency(sc_core::SC_ZERO_TIME);
  dmi.set_write_latency(sc_core::SC_ZERO_TIME);
  return true;
}

}  // namespace conloc
