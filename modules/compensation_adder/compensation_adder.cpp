#include "modules/compensation_adder/compensation_adder.h"

#include "modules/arith/mac_actions.h"
#include "modules/base/error.h"
#include "modules/common/compiled_network.h"
#include "modules/memory/buffer_access.h"

namespace conloc {

CompensationAdder::CompensationAdder(const sc_core::sc_module_name& name, RunContext& ctx)
    : JobEngine(name, ctx, Engine::CompensationAdder), out_socket("out_socket") {}

CompensationAdder::Timing CompensationAdder::execute(const Job& job,
                                                     const sc_core::sc_time& start) {
  const ConvTile& t = job.conv;
  const std::uint64_t outputs = static_cast<std::uint64_t>(t.gemm.m) * t.gemm.n;
  if (ctx_.functional) {
    if (dmi_.data == nullptr) dmi_ = dmi_region(out_socket, name());
    const CompiledNetwork& cn = *ctx_.network;
    const CompiledLayer& cl = cn.layers[ctx_.layer];
    const Layer& l = cn.net.layers[ctx_.layer];
    const int n_per_group = l.out_channels / l.groups;
    std::uint8_t* out = dmi_.at(t.obuf_addr, outputs * 4, name());
    const auto* psum = reinterpret_cast<const std::int32_t*>(out);  // in place: byte i never
                                                                    // overtakes psum i
    for (std::uint64_t i = 0; i < outputs; ++i) {
      const std::size_t ch = static_cast<std::size_t>(t.group * n_per_group + t.n0) + i % t.gemm.n;
      const std::int64_t v =
          wrap_to_bits(std::int64_t{psum[i]} + cl.bias[ch], ctx_.widths.accumulator_bits);
      out[i] = static_cast<std::uint8_t>(clamp_to(cl.rq[ch].apply(v), cl.out_lo, cl.out_hi));
    }
  }
  // Psums in, results out, through the output buffer's port.
  count_access(out_socket, tlm::TLM_READ_COMMAND, Operand::Outputs,
               outputs * static_cast<std::uint64_t>(ctx_.widths.accumulator_bits), name());
  count_access(out_socket, tlm::TLM_WRITE_COMMAND, Operand::Outputs,
               outputs * static_cast<std::uint64_t>(ctx_.widths.activation_bits), name());
  const std::uint64_t cycles = (outputs + static_cast<std::uint64_t>(ctx_.output_lanes) - 1) /
                               static_cast<std::uint64_t>(ctx_.output_lanes);
  ctx_.stats.output_stage_outputs += outputs;
  const sc_core::sc_time end = start + ctx_.period * static_cast<double>(cycles);
  return {end, end};
}

}  // namespace conloc
