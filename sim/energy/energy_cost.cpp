#include "sim/energy/energy_cost.h"

#include <algorithm>
#include <cmath>
#include <optional>

#include "modules/arith/output_stage_cells.h"
#include "modules/layers/layer_kind.h"
#include "modules/memory/dram_tech.h"
#include "sim/energy/mac_characterisation.h"
#include "sim/energy/operand_stream.h"

namespace conloc {

MacEnergyParts mac_energy_parts(const EnergyModel& em, const MacModel& mac, const MacActions& a) {
  const int acc_bits = mac.widths().accumulator_bits;
  MacEnergyParts p;
  MacActions held = a;  // the operations whose datapath switches as a held weight's
  if (em.mac_activity().serial_switch > 0) {
    const MacActions s = mac.switching_actions(a);
    held -= s;
    p.serial_switch = em.cells_pj(mac.cells(s));
  }
  // The operand path: every cell but the accumulator adds.
  const double acc_adds = static_cast<double>(held.acc_adds);
  CellCounts operand = mac.cells(held);
  operand += add_cells(acc_bits) * -acc_adds;
  p.operand = em.cells_pj_by_kind(operand);
  p.acc = acc_adds * em.add_pj(acc_bits);
  p.term_pass = em.cells_pj(mac.pass_cells(a));
  p.psum_pass = static_cast<double>(a.gated) * em.add_pj(acc_bits);
  return p;
}

double pe_mac_pj(const EnergyModel& em, const MacModel& mac, const MacActions& a, Dataflow dataflow,
                 const OperandToggles& toggles) {
  const EnergyModel::MacActivity& act = em.mac_activity();
  const bool ws = dataflow == Dataflow::WeightStationary;
  // Measured / reference toggles where both exist (and the measurement is a WS column's).
  auto rate = [&](double measured, double reference) {
    return ws && toggles.measured() && reference > 0 ? measured / reference : 1.0;
  };
  const double ra = rate(toggles.activation, act.reference.activation);
  const double rp = rate(toggles.psum, act.reference.psum);
  const double rq = rate(toggles.product, act.reference.product);
  const MacEnergyParts p = mac_energy_parts(em, mac, a);
  double pj = em.activity_weighted(p.operand) * ra;
  pj += p.acc * (act.acc_psum * rp + act.acc_product * rq);
  pj += p.term_pass * act.term_pass * ra;
  pj += p.serial_switch * act.serial_switch;
  // A zero weight's partial sum passes the accumulator adder where partial sums flow down the
  // columns: on WS and IS arrays (an OS PE keeps its own sum).
  if (dataflow != Dataflow::OutputStationary) pj += p.psum_pass * act.psum_pass * rp;
  return pj;
}

const std::vector<std::string>& EnergyBreakdown::component_names() {
  static const std::vector<std::string> kNames = {
      "mac",           "pe_registers", "accumulators",       "weight_buffer", "activation_sram",
      "output_buffer", "dram",         "compensation_adder", "vector_unit",   "sram_leakage",
      "pe_leakage"};
  return kNames;
}

std::vector<double> EnergyBreakdown::values() const {
  return {mac,  pe_registers,       accumulators, weight_buffer, activation_sram, output_buffer,
          dram, compensation_adder, vector_unit,  sram_leakage,  pe_leakage};
}

double EnergyBreakdown::total() const {
  double t = 0;
  for (double v : values())
    t += v;
  return t;
}

EnergyBreakdown& EnergyBreakdown::operator+=(const EnergyBreakdown& o) {
  mac += o.mac;
  pe_registers += o.pe_registers;
  accumulators += o.accumulators;
  weight_buffer += o.weight_buffer;
  activation_sram += o.activation_sram;
  output_buffer += o.output_buffer;
  dram += o.dram;
  compensation_adder += o.compensation_adder;
  vector_unit += o.vector_unit;
  sram_leakage += o.sram_leakage;
  pe_leakage += o.pe_leakage;
  return *this;
}

nlohmann::json EnergyBreakdown::to_json() const {
  nlohmann::json j = nlohmann::json::object();
  const auto v = values();
  for (std::size_t i = 0; i < v.size(); ++i)
    j[component_names()[i]] = v[i];
  return j;
}

MemoryCosts::MemoryCosts(const SimConfig& cfg, const EnergyModel& em) {
  // An access hits one bank, an SRAM of capacity / banks, and moves one word of the bank's port
  // width (docs/energy.md).
  const auto& b = cfg.buffers;
  const std::uint64_t capacity[3] = {b.weight_bytes, b.activation_bytes, b.output_bytes};
  for (int i = 0; i < 3; ++i) {
    const std::uint64_t bank = capacity[i] / static_cast<std::uint64_t>(b.banks[i]);
    read_pj_per_bit[i] = em.sram_read_pj_per_bit(bank, 8 * b.port_bytes[i]);
    write_pj_per_bit[i] = em.sram_write_pj_per_bit(bank, 8 * b.port_bytes[i]);
    sram_leakage_mw += em.sram_leakage_mw(capacity[i]);
  }
  // A named DRAM technology's cited energy per bit; `table`: the energy table's.
  const DramTech* dram = find_dram_tech(cfg.dram.technology);
  dram_pj_per_bit = dram ? dram->pj_per_bit : em.dram_pj_per_bit();
  logic_leakage_mw_per_transistor = em.logic_leakage_mw_per_transistor();
}

std::string LayerMacEnergy::model() const {
  return characterised ? "characterised" : "structural";
}

std::string LayerMacEnergy::operands() const {
  return simulated_operands ? "simulated operands" : "reference operands";
}

std::vector<LayerMacEnergy> mac_energies(const CompiledNetwork& cn, const SimConfig& cfg,
                                         const EnergyModel& em,
                                         const std::string& circuit_fnv1a64) {
  const bool ws = cfg.array.dataflow == Dataflow::WeightStationary;
  // A characterisation holds a weight-stationary PE's energy per held code: it prices WS arrays
  // only (an output- or input-stationary PE's weight changes every cycle).
  const MacCharacterisation::Design* characterisation =
      ws ? em.table().characterised(circuit_fnv1a64) : nullptr;
  const auto batch = static_cast<std::uint64_t>(cfg.batch);
  std::vector<LayerMacEnergy> out(cn.net.layers.size());
  for (std::size_t i = 0; i < cn.net.layers.size(); ++i) {
    const Layer& l = cn.net.layers[i];
    if (!l.on_pe_array()) continue;
    const CompiledLayer& cl = cn.layers[i];
    const MacModel& mac = *cl.mac;
    const MacActions actions = cl.mac_actions.scaled(batch);
    LayerMacEnergy& m = out[i];
    // The operands of 64 PEs of this array's columns, from the layer's integer input (a layer of
    // one output position has no consecutive operations to sample). A PE's toggles are a WS
    // column's: an OS array's structural model stays at its reference rates.
    std::vector<PeToggles> pes;
    if (cn.calibrated && ws) pes = measure_pe_toggles(cn, static_cast<int>(i), cfg.array.rows);
    m.simulated_operands = !pes.empty();
    if (m.simulated_operands) m.toggles = mean_toggles(pes);
    m.characterised = characterisation != nullptr;
    if (characterisation && m.simulated_operands) {
      m.pj = characterised_mac_pj(*characterisation, mac, pes, actions);
    } else if (characterisation) {
      m.pj = characterised_reference_mac_pj(*characterisation, mac, cl.code_uses,
                                            static_cast<std::uint64_t>(cn.net.gemm(l).m) * batch);
    } else {
      m.pj = pe_mac_pj(em, mac, actions, cfg.array.dataflow, m.toggles);
    }
    m.pj += em.cells_pj(mac.layer_setup_cells());
  }
  return out;
}

namespace {

// The action counts behind a PE-array layer's energy (layers.json "counts").
void record_pe_counts(const MacModel& mac, const MacActions& actions,
                      const LayerMacEnergy& mac_energy, const LayerRunStats& st, double reg_bits,
                      const CellCounts& dec, nlohmann::json& counts) {
  const auto& a = actions;
  const CellCounts mc = mac.cells(actions);
  counts["mac_actions"] = {{"ops", a.ops},
                           {"gated", a.gated},
                           {"mults", a.mults},
                           {"base_shifts", a.base_shifts},
                           {"gap_shifts", a.gap_shifts},
                           {"negates", a.negates},
                           {"term_adds", a.term_adds},
                           {"term_passes", a.term_passes},
                           {"switching_ops", a.switching_ops},
                           {"switching_cycles", a.switching_cycles},
                           {"acc_adds", a.acc_adds},
                           {"reg_loads", a.reg_loads},
                           {"cycles", a.cycles}};
  counts["mac_cells"] = {{"adder_bits", mc.adder_bits},
                         {"add_ops", mc.add_ops},
                         {"mult_cells", mc.mult_cells},
                         {"mult_ops", mc.mult_ops},
                         {"mux2", mc.mux2},
                         {"xor2", mc.xor2},
                         {"and2", mc.and2},
                         {"dff", mc.dff}};
  counts["mac_energy_model"] = mac_energy.model();
  counts["mac_operands"] = mac_energy.operands();
  counts["pe_register_bits"] = reg_bits;
  if (mac_energy.simulated_operands) {
    const OperandToggles& t = mac_energy.toggles;
    counts["operand_toggles"] = {
        {"activation", t.activation}, {"psum", t.psum}, {"product", t.product}};
  }
  counts["weight_decoder_mux2"] = dec.mux2;
  counts["output_stage_outputs"] = st.output_stage_outputs;
}

}  // namespace

EnergyBreakdown layer_energy(const CompiledNetwork& cn, std::size_t index,
                             const LayerResult& measured, const SimConfig& cfg,
                             const EnergyModel& em, const LayerMacEnergy& mac_energy,
                             nlohmann::json* counts_out, const MemoryCosts* memory) {
  const Layer& l = cn.net.layers[index];
  const CompiledLayer& cl = cn.layers[index];
  const LayerRunStats& st = measured.stats;
  const LayerTraffic& tr = measured.traffic;
  const int abits = cn.widths.activation_bits;
  const int acc_bits = cn.widths.accumulator_bits;
  EnergyBreakdown e;
  // The action counts behind the energy, only when asked for (the mapper costs thousands of
  // candidate plans and needs the energy alone).
  nlohmann::json unused;
  nlohmann::json& counts = counts_out ? *counts_out : unused;
  const bool record = counts_out != nullptr;

  // 1. Datapaths: the PE array's MACs and registers and the output stage, or the vector unit.
  if (l.on_pe_array()) {
    const MacModel* mac = cl.mac.get();
    // The compiler counted one image's MAC operations; the batch repeats them per image.
    const MacActions actions = cl.mac_actions.scaled(static_cast<std::uint64_t>(cfg.batch));
    e.mac = mac_energy.pj;
    // The compiler priced each output once. Output rows computed twice (the overlapping bands of
    // a fused pooling stage or of a recomputing depth-first group) cost their MACs twice; a plan
    // of some of the rows (a depth-first group's unit, costed by the mapper) costs theirs.
    const double nominal =
        static_cast<double>(cn.net.out_shape(l).elements()) * static_cast<double>(cfg.batch);
    e.mac *= static_cast<double>(st.output_stage_outputs) / nominal;
    const double reg_bits =
        static_cast<double>(st.array.act_reg_writes) * mac->widths().activation_operand_bits() +
        static_cast<double>(st.array.psum_reg_writes) * acc_bits +
        static_cast<double>(st.array.weight_reg_writes) * mac->weight_register_bits();
    e.pe_registers = reg_bits * em.dff_pj();
    // Column accumulators as a register file of E entries: a write clocks acc_bits flip-flops, a
    // read passes acc_bits bits through a log2(E)-level mux tree (an estimate, docs/energy.md).
    if (cfg.array.accumulator_entries > 0) {
      const double levels = std::ceil(std::log2(std::max(2, cfg.array.accumulator_entries)));
      e.accumulators = static_cast<double>(st.array.acc_writes) * acc_bits * em.dff_pj() +
                       static_cast<double>(st.array.acc_reads) * acc_bits * levels * em.mux2_pj();
      if (record) {
        counts["accumulator_reads"] = st.array.acc_reads;
        counts["accumulator_writes"] = st.array.acc_writes;
      }
    }
    // A code decoder where weights enter the array (v2 formats) switches once per weight read.
    const CellCounts dec = mac->weight_fetch_cells() * static_cast<double>(st.array.weight_reads);
    e.mac += em.cells_pj(dec);
    e.compensation_adder = em.cells_pj(output_stage_cells(acc_bits, abits) *
                                       static_cast<double>(st.output_stage_outputs));
    // A fused output stage's element-wise work costs what the fused layer's would on its own.
    if (st.fused_layer >= 0) {
      const Layer& f = cn.net.layers[static_cast<std::size_t>(st.fused_layer)];
      e.vector_unit =
          em.cells_pj(layer_kind(f.type).cells(f, cn.net.out_shape(f), st.fused_ops, abits));
      if (record) counts["fused_ops"] = st.fused_ops;
    }
    if (record) {
      record_pe_counts(*mac, actions, mac_energy, st, reg_bits, dec, counts);
    }
  } else {
    const CellCounts vc = layer_kind(l.type).cells(l, cn.net.out_shape(l), st.vector_ops, abits);
    e.vector_unit = em.cells_pj(vc);
    if (record) counts["vector_ops"] = st.vector_ops;
  }

  // 2. Memories: bits moved x energy per bit of each buffer, DRAM.
  std::optional<MemoryCosts> own;
  if (!memory) own.emplace(cfg, em);
  const MemoryCosts& mc = memory ? *memory : *own;
  auto sram_pj = [&](const TrafficCounters& t, int i) {
    return t.total_read_bits() * mc.read_pj_per_bit[i] +
           t.total_write_bits() * mc.write_pj_per_bit[i];
  };
  e.weight_buffer = sram_pj(tr.weight_buffer, 0);
  e.activation_sram = sram_pj(tr.activation_sram, 1);
  e.output_buffer = sram_pj(tr.output_buffer, 2);
  e.dram = (tr.dram.total_read_bits() + tr.dram.total_write_bits()) * mc.dram_pj_per_bit;
  // 3. Static power of the three buffers and the PE array over the layer's time (mW x ns = pJ);
  //    0 unless the energy table's CACTI rows give leakage. The PE array leaks for the same time,
  //    every layer (docs/energy.md).
  const double leak_mw = mc.sram_leakage_mw;
  const double pe_leak_mw = static_cast<double>(cfg.array.rows) * cfg.array.cols *
                            cn.pe_transistors * mc.logic_leakage_mw_per_transistor;
  const double ns = static_cast<double>(measured.cycles) / cfg.clock_ghz;
  e.sram_leakage = leak_mw * ns;
  e.pe_leakage = pe_leak_mw * ns;
  if (!record) return e;
  if (leak_mw > 0) counts["sram_leakage_mw"] = leak_mw;
  if (pe_leak_mw > 0) counts["pe_array_leakage_mw"] = pe_leak_mw;
  auto rw = [](const TrafficCounters& t) {
    return nlohmann::json{{"read", t.total_read_bits()}, {"write", t.total_write_bits()}};
  };
  counts["sram_bits"] = {{"weight_buffer", rw(tr.weight_buffer)},
                         {"activation_sram", rw(tr.activation_sram)},
                         {"output_buffer", rw(tr.output_buffer)}};
  counts["dram_bits"] = rw(tr.dram);
  return e;
}

LayerCost cost_layer(const CompiledNetwork& cn, std::size_t index, const LayerResult& measured,
                     const SimConfig& cfg, const EnergyModel& em, const LayerMacEnergy& mac) {
  LayerCost cost;
  cost.energy = layer_energy(cn, index, measured, cfg, em, mac, &cost.counts);
  return cost;
}

}  // namespace conloc
