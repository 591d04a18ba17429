#include "sim/rtl/mac_stream.h"

#include <sstream>

#include "modules/arith/elp_lut_mac.h"
#include "modules/base/error.h"
#include "modules/common/compiled_network.h"
#include "sim/energy/energy_cost.h"
#include "sim/energy/energy_model.h"
#include "sim/energy/mac_characterisation.h"
#include "sim/energy/operand_stream.h"
#include "sim/rtl/mac_rtl.h"

namespace conloc {

std::string mac_operand_stream(const CompiledNetwork& cn, int layer, int rows, int pes,
                               const EnergyModel& energy, const std::string& circuit_fnv1a64,
                               std::uint64_t* count) {
  const Layer& l = cn.net.layers.at(static_cast<std::size_t>(layer));
  CONLOC_ASSERT(l.on_pe_array() && cn.calibrated, "rtl", "a stream needs a calibrated conv layer");
  const CompiledLayer& cl = cn.layers[static_cast<std::size_t>(layer)];
  const std::int64_t m = cn.net.gemm(l).m;
  const auto per_pe = ws_operations(cn, layer, rows, pes, {{0, m}});
  const MacModel& mac = *cl.mac;
  std::ostringstream v;
  std::uint64_t lines = 0;
  MacActions actions;  // summed over the stream: the MAC energy is linear in them
  for (const auto& ops : per_pe) {
    for (const WsOperation& op : ops) {
      v << op.code << ' ' << op.a << ' ' << op.acc_in << ' ' << op.acc_out << '\n';
      ++lines;
      actions += mac.actions(op.code);
    }
  }
  if (count) *count = lines;
  std::ostringstream head;
  const double per = lines ? 1.0 / static_cast<double>(lines) : 0.0;
  const int acc_bits = mac.widths().accumulator_bits;
  // The stream is a weight-stationary column's. What a run charges for its operations: the
  // characterised energy of each PE's code at the PE's own toggles in this stream where the
  // table characterises this circuit, else the structural model at the layer's toggle rates
  // (as a run samples them, mac_energies).
  const OperandToggles t = mean_toggles(measure_pe_toggles(cn, layer, rows));
  const double structural = pe_mac_pj(energy, mac, actions, Dataflow::WeightStationary, t) * per;
  const MacCharacterisation::Design* design = energy.table().characterised(circuit_fnv1a64);
  const std::vector<PeToggles> own =
      pe_toggles(per_pe, m, mac.widths().activation_operand_bits(), acc_bits);
  head << "# model_pj_per_mac "
       << (design ? characterised_mac_pj(*design, mac, own, actions) * per : structural) << "\n";
  head << "# model_kind " << (design ? "characterised" : "structural") << "\n";
  head << "# structural_pj_per_mac " << structural << "\n";
  // The energy by part before the table's activity factors and toggle rates (every cell
  // switching as with random operands), for fitting them (scripts/toggle_energy.py).
  const MacEnergyParts p = mac_energy_parts(energy, mac, actions);
  head << "# model_pj_random_by_kind adder " << p.operand.adder * per << " mult "
       << p.operand.mult * per << " mux2 " << p.operand.mux2 * per << " xor2 "
       << p.operand.xor2 * per << " and2 " << p.operand.and2 * per << " dff " << p.operand.dff * per
       << " acc " << p.acc * per << " psum_pass " << p.psum_pass * per << " term_pass "
       << p.term_pass * per << " serial_switch " << p.serial_switch * per << "\n";
  // The layer's operand toggle rates a run samples, and this stream's.
  const OperandToggles st = mean_toggles(own);
  head << "# operand_toggles activation " << t.activation << " psum " << t.psum << " product "
       << t.product << "\n";
  head << "# stream_toggles activation " << st.activation << " psum " << st.psum << " product "
       << st.product << "\n";
  // A loadable decoder: this layer's table, to load before the stream.
  if (const auto* lut = dynamic_cast<const ElpLutMac*>(&mac); lut && lut->loads_table()) {
    std::istringstream t(v2_decoder_table(lut->format(), lut->pe_format()));
    for (std::string line; std::getline(t, line);)
      head << "# table " << line << "\n";
  }
  return head.str() + v.str();
}

}  // namespace conloc
