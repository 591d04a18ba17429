#include "modules/compensation_adder/compensation_adder.h"

#include "modules/arith/mac_actions.h"
#include "sim/common/error.h"
#include "sim/quant/compiled_network.h"

namespace conloc {

CompensationAdder::CompensationAdder(const sc_core::sc_module_name& name, RunContext& ctx)
    : JobEngine(name, ctx, Engine::OutputStage), out_socket("out_socket") {}

CompensationAdder::Timing CompensationAdder::execute(const Job& job,
                                                     const sc_core::sc_time& start) {
  const ConvTile& t = job.conv;
  const std::uint64_t outputs = static_cast<std::uint64_t>(t.gemm.m) * t.gemm.n;
  if (ctx_.functional) {
    if (dmi_ == nullptr) {
      tlm::tlm_generic_payload p;
      tlm::tlm_dmi d;
      CONLOC_ASSERT(out_socket->get_direct_mem_ptr(p, d), name(), "output buffer refused DMI");
      dmi_ = d.get_dmi_ptr();
    }
    const CompiledNetwork& cn = *ctx_.network;
    const CompiledLayer& cl = cn.layers[ctx_.layer];
    const Layer& l = cn.net.layers[ctx_.layer];
    const int n_per_group = l.out_channels / l.groups;
    const auto* psum = reinterpret_cast<const std::int32_t*>(dmi_ + t.obuf_addr);
    std::uint8_t* out = dmi_ + t.obuf_addr;  // in place: byte i never overtakes psum i
    for (std::uint64_t i = 0; i < outputs; ++i) {
      const std::size_t ch = static_cast<std::size_t>(t.group * n_per_group + t.n0) + i % t.gemm.n;
      const std::int64_t v = wrap_to_bits(std::int64_t{psum[i]} + cl.bias[ch], ctx_.acc_bits);
      out[i] = static_cast<std::uint8_t>(clamp_to(cl.rq[ch].apply(v), cl.out_lo, cl.out_hi));
    }
  }
  // Psums in, results out, through the output buffer's port.
  auto account = [&](tlm::tlm_command cmd, std::uint64_t bits) {
    TransferExt ext;
    ext.operand = Operand::Outputs;
    ext.bits = bits;
    ext.timing_only = true;
    tlm::tlm_generic_payload p;
    std::uint8_t dummy = 0;
    p.set_extension(&ext);
    p.set_command(cmd);
    p.set_address(0);
    p.set_data_ptr(&dummy);
    p.set_data_length(1);
    p.set_streaming_width(1);
    sc_core::sc_time ignored = sc_core::SC_ZERO_TIME;
    out_socket->b_transport(p, ignored);
    p.clear_extension(&ext);
  };
  account(tlm::TLM_READ_COMMAND, outputs * static_cast<std::uint64_t>(ctx_.acc_bits));
  account(tlm::TLM_WRITE_COMMAND, outputs * 8);
  const std::uint64_t cycles = (outputs + static_cast<std::uint64_t>(ctx_.output_lanes) - 1) /
                               static_cast<std::uint64_t>(ctx_.output_lanes);
  ctx_.stats.output_stage_cycles += cycles;
  ctx_.stats.output_stage_outputs += outputs;
  const sc_core::sc_time end = start + ctx_.period * static_cast<double>(cycles);
  return {end, end};
}

}  // namespace conloc
