#include "sim/report/run_report.h"

#include <cmath>
#include <cstdio>
#include <sstream>

#include "modules/compensation_adder/output_stage_cells.h"
#include "modules/vector_unit/vector_cells.h"
#include "sim/common/file_io.h"
#include "sim/quant/mac_factory.h"
#include "sim/top/accelerator.h"

namespace conloc {

namespace {

nlohmann::json num_or_null(double v) {
  return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr);
}

std::string fmt(double v) {
  if (!std::isfinite(v)) return "";
  char b[64];
  std::snprintf(b, sizeof b, "%.6g", v);
  return b;
}

std::uint64_t bytes(std::uint64_t bits) {
  return (bits + 7) / 8;
}

}  // namespace

const std::vector<std::string>& EnergyBreakdown::component_names() {
  static const std::vector<std::string> kNames = {
      "mac",           "pe_registers", "weight_buffer",      "activation_sram",
      "output_buffer", "dram",         "compensation_adder", "vector_unit"};
  return kNames;
}

std::vector<double> EnergyBreakdown::values() const {
  return {mac,           pe_registers, weight_buffer,      activation_sram,
          output_buffer, dram,         compensation_adder, vector_unit};
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
  weight_buffer += o.weight_buffer;
  activation_sram += o.activation_sram;
  output_buffer += o.output_buffer;
  dram += o.dram;
  compensation_adder += o.compensation_adder;
  vector_unit += o.vector_unit;
  return *this;
}

nlohmann::json EnergyBreakdown::to_json() const {
  nlohmann::json j = nlohmann::json::object();
  const auto v = values();
  for (std::size_t i = 0; i < v.size(); ++i)
    j[component_names()[i]] = v[i];
  return j;
}

const std::vector<std::string>& layer_csv_columns() {
  static const std::vector<std::string> kCols = [] {
    std::vector<std::string> c = {"layer",
                                  "type",
                                  "macs",
                                  "cycles",
                                  "compute_cycles",
                                  "stall_cycles",
                                  "standard_fold_cycles",
                                  "utilization_pct",
                                  "overall_utilization_pct",
                                  "mapping_efficiency_pct",
                                  "folds",
                                  "tiles",
                                  "dma_transactions",
                                  "dram_weights_read_bytes",
                                  "dram_inputs_read_bytes",
                                  "dram_outputs_written_bytes",
                                  "weight_buffer_weights_written_bytes",
                                  "weight_buffer_weights_read_bytes",
                                  "activation_sram_inputs_written_bytes",
                                  "activation_sram_inputs_read_bytes",
                                  "output_buffer_written_bytes",
                                  "output_buffer_read_bytes"};
    for (const auto& n : EnergyBreakdown::component_names())
      c.push_back(n + "_pj");
    for (const char* n : {"energy_pj", "energy_per_mac_pj", "weight_sqnr_db", "output_sqnr_db",
                          "output_sqnr_uncompensated_db", "output_mismatches"}) {
      c.push_back(n);
    }
    return c;
  }();
  return kCols;
}

RunReport build_report(const Accelerator& acc, const CompiledNetwork& cn, const SimConfig& cfg,
                       const EnergyModel& em, double wall_seconds) {
  RunReport rep;
  rep.workload = cn.net.name;
  rep.design = cn.mac_name;
  rep.weight_source = cn.weight_source;
  rep.functional = cn.functional;
  rep.wall_seconds = wall_seconds;
  const auto mism = acc.compare_outputs();
  const auto& results = acc.results();
  const double pe_slots = static_cast<double>(cfg.array.rows) * cfg.array.cols;
  const int abits = cfg.design.activation_bits;
  const int acc_bits = cfg.design.accumulator_bits;
  const double w_rd = em.sram_read_pj_per_bit(cfg.buffers.weight_bytes);
  const double w_wr = em.sram_write_pj_per_bit(cfg.buffers.weight_bytes);
  const double a_rd = em.sram_read_pj_per_bit(cfg.buffers.activation_bytes);
  const double a_wr = em.sram_write_pj_per_bit(cfg.buffers.activation_bytes);
  const double o_rd = em.sram_read_pj_per_bit(cfg.buffers.output_bytes);
  const double o_wr = em.sram_write_pj_per_bit(cfg.buffers.output_bytes);
  rep.mismatches = cn.functional ? 0 : -1;
  for (std::size_t i = 0; i < cn.net.layers.size(); ++i) {
    const Layer& l = cn.net.layers[i];
    const CompiledLayer& cl = cn.layers[i];
    const LayerResult& res = results[i];
    const LayerPlan& lp = acc.plan().layers[i];
    const LayerRunStats& st = res.stats;
    LayerRow r;
    r.layer = l.name;
    r.type = to_string(l.type);
    r.on_pe_array = l.on_pe_array();
    r.macs = cn.net.gemm(l).macs();
    r.cycles = res.cycles;
    r.compute_cycles = st.compute_cycles;
    r.stall_cycles = st.stall_cycles;
    r.standard_fold_cycles = st.array.standard_cycles;
    r.folds = st.array.folds;
    r.tiles = st.tiles;
    r.dma_transactions = st.dma_transactions;
    if (r.on_pe_array && st.compute_cycles > 0) {
      r.utilization_pct = 100.0 * r.macs / (static_cast<double>(st.compute_cycles) * pe_slots);
      r.overall_utilization_pct = 100.0 * r.macs / (static_cast<double>(res.cycles) * pe_slots);
      r.mapping_efficiency_pct = st.array.fold_slots ? 100.0 * r.macs / st.array.fold_slots : 0.0;
    }
    const auto& tr = res.traffic;
    const int W = static_cast<int>(Operand::Weights), I = static_cast<int>(Operand::Inputs),
              O = static_cast<int>(Operand::Outputs);
    r.dram_weights_read = bytes(tr.dram.read_bits[W]);
    r.dram_inputs_read = bytes(tr.dram.read_bits[I]);
    r.dram_outputs_written = bytes(tr.dram.write_bits[O]);
    r.wbuf_weights_written = bytes(tr.weight_buffer.write_bits[W]);
    r.wbuf_weights_read = bytes(tr.weight_buffer.read_bits[W]);
    r.asram_inputs_written = bytes(tr.activation_sram.write_bits[I]);
    r.asram_inputs_read = bytes(tr.activation_sram.read_bits[I]);
    r.obuf_written = bytes(tr.output_buffer.total_write_bits());
    r.obuf_read = bytes(tr.output_buffer.total_read_bits());

    EnergyBreakdown& e = r.energy;
    nlohmann::json counts;
    if (r.on_pe_array) {
      const auto mac = make_mac_model(cfg.design, cn.mac, cl.in_signed);
      const CellCounts mc = mac->cells(cl.mac_actions);
      e.mac = em.cells_pj(mc);
      const double reg_bits =
          static_cast<double>(st.array.act_reg_writes) * mac->widths().activation_operand_bits() +
          static_cast<double>(st.array.psum_reg_writes) * acc_bits +
          static_cast<double>(st.array.weight_reg_writes) * cn.code_bits;
      e.pe_registers = reg_bits * em.dff_pj();
      e.compensation_adder = em.cells_pj(output_stage_cells(acc_bits, abits) *
                                         static_cast<double>(st.output_stage_outputs));
      const auto& a = cl.mac_actions;
      counts["mac_actions"] = {{"ops", a.ops},
                               {"gated", a.gated},
                               {"mults", a.mults},
                               {"base_shifts", a.base_shifts},
                               {"gap_shifts", a.gap_shifts},
                               {"negates", a.negates},
                               {"term_adds", a.term_adds},
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
      counts["pe_register_bits"] = reg_bits;
      counts["output_stage_outputs"] = st.output_stage_outputs;
    } else {
      const CellCounts vc = vector_cells(l, cn.net.out_shape(l), st.vector_ops, abits);
      e.vector_unit = em.cells_pj(vc);
      counts["vector_ops"] = st.vector_ops;
    }
    e.weight_buffer =
        tr.weight_buffer.total_read_bits() * w_rd + tr.weight_buffer.total_write_bits() * w_wr;
    e.activation_sram =
        tr.activation_sram.total_read_bits() * a_rd + tr.activation_sram.total_write_bits() * a_wr;
    e.output_buffer =
        tr.output_buffer.total_read_bits() * o_rd + tr.output_buffer.total_write_bits() * o_wr;
    e.dram = (tr.dram.total_read_bits() + tr.dram.total_write_bits()) * em.dram_pj_per_bit();
    counts["sram_bits"] = {{"weight_buffer",
                            {{"read", tr.weight_buffer.total_read_bits()},
                             {"write", tr.weight_buffer.total_write_bits()}}},
                           {"activation_sram",
                            {{"read", tr.activation_sram.total_read_bits()},
                             {"write", tr.activation_sram.total_write_bits()}}},
                           {"output_buffer",
                            {{"read", tr.output_buffer.total_read_bits()},
                             {"write", tr.output_buffer.total_write_bits()}}}};
    counts["dram_bits"] = {{"read", tr.dram.total_read_bits()},
                           {"write", tr.dram.total_write_bits()}};
    r.counts = counts;
    r.energy_pj = e.total();
    r.energy_per_mac_pj = r.macs > 0 ? r.energy_pj / static_cast<double>(r.macs) : 0.0;
    r.weight_sqnr_db = cl.weight_sqnr_db;
    r.output_sqnr_db = cl.output_sqnr_db;
    r.output_sqnr_uncompensated_db = cl.output_sqnr_uncompensated_db;
    r.mismatches = cn.functional ? static_cast<std::int64_t>(mism[i]) : -1;
    r.tiling = {{"band_rows", lp.band_rows}, {"bands", lp.bands}, {"chunks", lp.chunks}};
    if (lp.on_pe_array) {
      r.tiling["out_channels_per_tile"] = lp.nt;
      r.tiling["in_channels_per_chunk"] = lp.ct;
      r.tiling["n_tiles"] = lp.n_tiles;
      r.tiling["weights_resident"] = lp.weights_resident;
      r.tiling["input_band_all_channels"] = lp.input_all_channels;
    }
    r.start_cycle = res.start_cycle;
    const auto& sw = st.sram_access;
    const auto& dr = st.dram_read;
    r.sram_ifmap_reads = sw[I].elements;
    r.sram_filter_reads = sw[W].elements;
    r.sram_ofmap_writes = sw[O].elements;
    r.dram_ifmap_reads = dr[I].elements;
    r.dram_filter_reads = dr[W].elements;
    r.dram_ofmap_writes = st.dram_write[O].elements;
    const AccessWindow* wins[6] = {&sw[I], &sw[W], &sw[O], &dr[I], &dr[W], &st.dram_write[O]};
    for (int k = 0; k < 6; ++k) {
      r.win[2 * k] = std::max(0.0, wins[k]->start);
      r.win[2 * k + 1] = std::max(0.0, wins[k]->stop);
    }

    rep.macs += r.macs;
    rep.cycles += r.cycles;
    rep.stall_cycles += r.stall_cycles;
    rep.dram_bytes_read += r.dram_weights_read + r.dram_inputs_read;
    rep.dram_bytes_written += r.dram_outputs_written;
    rep.energy += e;
    if (r.mismatches > 0) rep.mismatches += r.mismatches;
    rep.rows.push_back(std::move(r));
  }
  rep.energy_pj = rep.energy.total();
  rep.latency_s = static_cast<double>(rep.cycles) / (cfg.clock_ghz * 1e9);
  auto& s = rep.summary;
  s["workload"] = rep.workload;
  s["design"] = rep.design;
  s["mac_kind"] = to_string(cn.mac);
  s["dataflow"] = to_string(cfg.array.dataflow);
  s["array"] = {{"rows", cfg.array.rows}, {"cols", cfg.array.cols}};
  s["clock_ghz"] = cfg.clock_ghz;
  s["weight_code_bits"] = cn.code_bits;
  s["weight_source"] = rep.weight_source;
  s["functional"] = rep.functional;
  s["bit_exact"] = rep.functional ? nlohmann::json(rep.mismatches == 0) : nlohmann::json(nullptr);
  s["output_mismatches"] =
      rep.functional ? nlohmann::json(rep.mismatches) : nlohmann::json(nullptr);
  s["layers"] = rep.rows.size();
  s["macs"] = rep.macs;
  s["cycles"] = rep.cycles;
  s["stall_cycles"] = rep.stall_cycles;
  s["latency_s"] = rep.latency_s;
  s["energy_pj"] = rep.energy_pj;
  s["energy_per_mac_pj"] = rep.macs ? rep.energy_pj / rep.macs : 0.0;
  s["energy_breakdown_pj"] = rep.energy.to_json();
  s["dram_bytes_read"] = rep.dram_bytes_read;
  s["dram_bytes_written"] = rep.dram_bytes_written;
  s["config_hash"] = cfg.hash;
  s["energy_table"] = em.table().provenance();
  s["energy_calibration"] = em.calibration_json();
  s["wall_seconds"] = wall_seconds;
  s["simulated_macs_per_second"] = wall_seconds > 0 ? rep.macs / wall_seconds : 0.0;
  return rep;
}

void write_run_outputs(const RunReport& r, const Accelerator& acc, const SimConfig& cfg,
                       const std::string& dir) {
  ensure_directory(dir);
  const std::string d = dir + "/";
  // layers.csv / layers.json
  std::ostringstream csv;
  const auto& cols = layer_csv_columns();
  for (std::size_t i = 0; i < cols.size(); ++i)
    csv << (i ? "," : "") << cols[i];
  csv << "\n";
  nlohmann::json layers = nlohmann::json::array();
  for (const auto& row : r.rows) {
    std::vector<std::string> v = {row.layer,
                                  row.type,
                                  std::to_string(row.macs),
                                  std::to_string(row.cycles),
                                  std::to_string(row.compute_cycles),
                                  std::to_string(row.stall_cycles),
                                  std::to_string(row.standard_fold_cycles),
                                  fmt(row.utilization_pct),
                                  fmt(row.overall_utilization_pct),
                                  fmt(row.mapping_efficiency_pct),
                                  std::to_string(row.folds),
                                  std::to_string(row.tiles),
                                  std::to_string(row.dma_transactions),
                                  std::to_string(row.dram_weights_read),
                                  std::to_string(row.dram_inputs_read),
                                  std::to_string(row.dram_outputs_written),
                                  std::to_string(row.wbuf_weights_written),
                                  std::to_string(row.wbuf_weights_read),
                                  std::to_string(row.asram_inputs_written),
                                  std::to_string(row.asram_inputs_read),
                                  std::to_string(row.obuf_written),
                                  std::to_string(row.obuf_read)};
    for (double e : row.energy.values())
      v.push_back(fmt(e));
    v.push_back(fmt(row.energy_pj));
    v.push_back(fmt(row.energy_per_mac_pj));
    v.push_back(fmt(row.weight_sqnr_db));
    v.push_back(fmt(row.output_sqnr_db));
    v.push_back(fmt(row.output_sqnr_uncompensated_db));
    v.push_back(row.mismatches < 0 ? "" : std::to_string(row.mismatches));
    for (std::size_t i = 0; i < v.size(); ++i)
      csv << (i ? "," : "") << v[i];
    csv << "\n";
    nlohmann::json j = nlohmann::json::object();
    for (std::size_t i = 0; i < cols.size(); ++i)
      j[cols[i]] = v[i];
    // Typed values in JSON (the CSV strings above are for the table).
    j["macs"] = row.macs;
    j["cycles"] = row.cycles;
    j["compute_cycles"] = row.compute_cycles;
    j["stall_cycles"] = row.stall_cycles;
    j["standard_fold_cycles"] = row.standard_fold_cycles;
    j["utilization_pct"] = row.utilization_pct;
    j["overall_utilization_pct"] = row.overall_utilization_pct;
    j["mapping_efficiency_pct"] = row.mapping_efficiency_pct;
    j["folds"] = row.folds;
    j["tiles"] = row.tiles;
    j["dma_transactions"] = row.dma_transactions;
    j["dram_weights_read_bytes"] = row.dram_weights_read;
    j["dram_inputs_read_bytes"] = row.dram_inputs_read;
    j["dram_outputs_written_bytes"] = row.dram_outputs_written;
    j["weight_buffer_weights_written_bytes"] = row.wbuf_weights_written;
    j["weight_buffer_weights_read_bytes"] = row.wbuf_weights_read;
    j["activation_sram_inputs_written_bytes"] = row.asram_inputs_written;
    j["activation_sram_inputs_read_bytes"] = row.asram_inputs_read;
    j["output_buffer_written_bytes"] = row.obuf_written;
    j["output_buffer_read_bytes"] = row.obuf_read;
    const auto ev = row.energy.values();
    for (std::size_t k = 0; k < ev.size(); ++k)
      j[EnergyBreakdown::component_names()[k] + "_pj"] = ev[k];
    j["energy_pj"] = row.energy_pj;
    j["energy_per_mac_pj"] = row.energy_per_mac_pj;
    j["weight_sqnr_db"] = num_or_null(row.weight_sqnr_db);
    j["output_sqnr_db"] = num_or_null(row.output_sqnr_db);
    j["output_sqnr_uncompensated_db"] = num_or_null(row.output_sqnr_uncompensated_db);
    j["output_mismatches"] =
        row.mismatches < 0 ? nlohmann::json(nullptr) : nlohmann::json(row.mismatches);
    j["tiling"] = row.tiling;
    j["counts"] = row.counts;
    layers.push_back(j);
  }
  write_file_atomic(d + "layers.csv", csv.str());
  write_file_atomic(d + "layers.json", layers.dump(1) + "\n");
  write_file_atomic(d + "summary.json", r.summary.dump(2) + "\n");
  write_file_atomic(d + "config.json", cfg.resolved.dump(2) + "\n");

  // SCALE-Sim v2 reports (PE-array layers; LayerID counts them from 0). Words are elements.
  std::ostringstream comp, bw, det;
  comp << "LayerID, Total Cycles, Stall Cycles, Overall Util %, Mapping Efficiency %, Compute Util "
          "%,\n";
  bw << "LayerID, Avg IFMAP SRAM BW, Avg FILTER SRAM BW, Avg OFMAP SRAM BW, Avg IFMAP DRAM BW, "
        "Avg FILTER DRAM BW, Avg OFMAP DRAM BW,\n";
  det << "LayerID, SRAM IFMAP Start Cycle, SRAM IFMAP Stop Cycle, SRAM IFMAP Reads, "
         "SRAM Filter Start Cycle, SRAM Filter Stop Cycle, SRAM Filter Reads, "
         "SRAM OFMAP Start Cycle, SRAM OFMAP Stop Cycle, SRAM OFMAP Writes, "
         "DRAM IFMAP Start Cycle, DRAM IFMAP Stop Cycle, DRAM IFMAP Reads, "
         "DRAM Filter Start Cycle, DRAM Filter Stop Cycle, DRAM Filter Reads, "
         "DRAM OFMAP Start Cycle, DRAM OFMAP Stop Cycle, DRAM OFMAP Writes,\n";
  int id = 0;
  for (const auto& row : r.rows) {
    if (!row.on_pe_array) continue;
    const double cc = std::max<double>(1.0, static_cast<double>(row.compute_cycles));
    const double tc = std::max<double>(1.0, static_cast<double>(row.cycles));
    comp << id << ", " << row.cycles << ", " << row.stall_cycles << ", "
         << fmt(row.overall_utilization_pct) << ", " << fmt(row.mapping_efficiency_pct) << ", "
         << fmt(row.utilization_pct) << ",\n";
    bw << id << ", " << fmt(row.sram_ifmap_reads / cc) << ", " << fmt(row.sram_filter_reads / cc)
       << ", " << fmt(row.sram_ofmap_writes / cc) << ", " << fmt(row.dram_ifmap_reads / tc) << ", "
       << fmt(row.dram_filter_reads / tc) << ", " << fmt(row.dram_ofmap_writes / tc) << ",\n";
    const std::uint64_t n[6] = {row.sram_ifmap_reads, row.sram_filter_reads, row.sram_ofmap_writes,
                                row.dram_ifmap_reads, row.dram_filter_reads, row.dram_ofmap_writes};
    det << id;
    for (int k = 0; k < 6; ++k) {
      det << ", " << static_cast<std::uint64_t>(row.win[2 * k]) << ", "
          << static_cast<std::uint64_t>(row.win[2 * k + 1]) << ", " << n[k];
    }
    det << ",\n";
    ++id;
  }
  write_file_atomic(d + "COMPUTE_REPORT.csv", comp.str());
  write_file_atomic(d + "BANDWIDTH_REPORT.csv", bw.str());
  write_file_atomic(d + "DETAILED_ACCESS_REPORT.csv", det.str());

  // Chrome / Perfetto trace-event timeline: one track per engine, one slice per job.
  const double us_per_cycle = 1e-3 / cfg.clock_ghz;
  nlohmann::json ev = nlohmann::json::array();
  for (int e = 0; e < kEngineCount; ++e) {
    ev.push_back({{"name", "thread_name"},
                  {"ph", "M"},
                  {"pid", 1},
                  {"tid", e},
                  {"args", {{"name", to_string(static_cast<Engine>(e))}}}});
  }
  for (const auto& t : acc.trace()) {
    ev.push_back({{"name", r.rows[static_cast<std::size_t>(t.layer)].layer},
                  {"cat", to_string(t.engine)},
                  {"ph", "X"},
                  {"pid", 1},
                  {"tid", static_cast<int>(t.engine)},
                  {"ts", t.start * us_per_cycle},
                  {"dur", (t.end - t.start) * us_per_cycle}});
  }
  double t0 = 0;
  for (const auto& row : r.rows) {
    ev.push_back({{"name", row.layer},
                  {"cat", "layer"},
                  {"ph", "X"},
                  {"pid", 1},
                  {"tid", kEngineCount},
                  {"ts", t0 * us_per_cycle},
                  {"dur", static_cast<double>(row.cycles) * us_per_cycle}});
    t0 += static_cast<double>(row.cycles);
  }
  write_file_atomic(d + "timeline.json",
                    nlohmann::json({{"traceEvents", ev}, {"displayTimeUnit", "ns"}}).dump() + "\n");
}

}  // namespace conloc
