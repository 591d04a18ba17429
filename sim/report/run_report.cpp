#include "sim/report/run_report.h"

#include <charconv>
#include <sstream>

#include "modules/memory/dram_tech.h"
#include "sim/common/file_io.h"

namespace conloc {

double RunResult::utilization_pct() const {
  const double slots = static_cast<double>(cycles) * config.array.rows * config.array.cols;
  return slots > 0 ? 100.0 * static_cast<double>(macs) / slots : 0.0;
}

namespace {

using nlohmann::json;

// Columns for each energy component, read through `breakdown`.
template <class Row>
void add_energy_columns(ColumnTable<Row>& t, const EnergyBreakdown& (*breakdown)(const Row&)) {
  const auto& names = EnergyBreakdown::component_names();
  for (std::size_t k = 0; k < names.size(); ++k) {
    t.push_back({names[k] + "_pj", "pJ",
                 [breakdown, k](const Row& r) { return json(breakdown(r).values()[k]); }});
  }
}

json nonneg_or_null(std::int64_t v) {
  return v < 0 ? json(nullptr) : json(v);
}

// A SCALE-Sim v2 report row (docs/timing.md, "SCALE-Sim's report files"): a PE-array layer, its
// index among them (SCALE-Sim's LayerID), and where SCALE-Sim's cycle axis lies on the layer's:
// its cycle 0 is the layer's first compute cycle (SCALE-Sim prefetches at negative cycles), and
// its "Total Cycles" is the index of the last compute cycle on that axis.
struct ScaleSimRow {
  int id = 0;
  const LayerRow* row = nullptr;
  double zero = 0;           // the layer-relative cycle of the first compute
  double busy = 0;           // from it to the end of the last compute: compute and stall cycles
  double pes = 1;            // R x C
  double fold_overhang = 0;  // cycles SCALE-Sim adds to each fold in its per-fold utilisation
  double total_cycles() const { return std::max(1.0, busy - 1.0); }
  // A window of the layer's (end exclusive) as SCALE-Sim's first and last cycle indices.
  double first_index(const AccessWindow& w) const { return w.start - zero; }
  double last_index(const AccessWindow& w) const { return w.stop - zero - 1.0; }
};

std::vector<ScaleSimRow> scalesim_rows(const RunResult& r) {
  const ArrayConfig& a = r.config.array;
  // SCALE-Sim's per-fold utilisation divides by the fold's demand rows + array width - 1: on
  // WS and IS arrays that counts the C - 1 drain skew once more than the fold takes
  // (scalesim/compute/systolic_compute_{ws,is}.py); on OS the two agree.
  const double overhang = a.dataflow == Dataflow::OutputStationary ? 0.0 : a.cols - 1.0;
  std::vector<ScaleSimRow> rows;
  for (const auto& l : r.rows) {
    if (!l.on_pe_array) continue;
    ScaleSimRow s;
    s.id = static_cast<int>(rows.size());
    s.row = &l;
    s.pes = static_cast<double>(a.rows) * a.cols;
    s.fold_overhang = overhang;
    // The array's SRAM accesses span its compute jobs: first start to last end.
    double first = -1, last = 0;
    for (const AccessWindow* w : {&l.sram_ifmap, &l.sram_filter, &l.sram_ofmap}) {
      if (w->elements == 0) continue;
      if (first < 0 || w->start < first) first = w->start;
      last = std::max(last, w->stop);
    }
    s.zero = std::max(0.0, first);
    s.busy = first < 0 ? static_cast<double>(l.compute_cycles) : last - first;
    rows.push_back(s);
  }
  return rows;
}

// SCALE-Sim v2's report columns, by its definitions (scalesim/single_layer_sim.py), from our run.
const ColumnTable<ScaleSimRow>& compute_report_columns() {
  static const ColumnTable<ScaleSimRow> t = {
      {"LayerID", "-", [](const ScaleSimRow& s) { return json(s.id); }},
      {"Total Cycles", "cycles",
       [](const ScaleSimRow& s) { return json(std::llround(s.total_cycles())); }},
      // Cycles the array waited after its first compute (a first load is SCALE-Sim's prefetch).
      {"Stall Cycles", "cycles",
       [](const ScaleSimRow& s) {
         return json(std::llround(std::max(0.0, s.busy - s.row->compute_cycles)));
       }},
      {"Overall Util %", "%",
       [](const ScaleSimRow& s) { return json(100.0 * s.row->macs / (s.total_cycles() * s.pes)); }},
      {"Mapping Efficiency %", "%",
       [](const ScaleSimRow& s) { return json(s.row->mapping_efficiency_pct); }},
      // The mean over folds of MACs / (PEs x the fold's cycles as SCALE-Sim counts them): with
      // folds of equal length (SCALE-Sim's fold timing) this is the MACs over the summed cycles.
      {"Compute Util %", "%",
       [](const ScaleSimRow& s) {
         const double cycles = static_cast<double>(s.row->compute_cycles) +
                               static_cast<double>(s.row->folds) * s.fold_overhang;
         return json(100.0 * s.row->macs / (s.pes * std::max(1.0, cycles)));
       }},
  };
  return t;
}

const ColumnTable<ScaleSimRow>& bandwidth_report_columns() {
  // SRAM: words over the layer's Total Cycles; DRAM: words over the cycles from the operand's
  // first DRAM transfer to its last (an operand that never moved: 0).
  auto sram = [](AccessWindow LayerRow::*a) {
    return [a](const ScaleSimRow& s) {
      return json(static_cast<double>((s.row->*a).elements) / s.total_cycles());
    };
  };
  auto dram = [](AccessWindow LayerRow::*a) {
    return [a](const ScaleSimRow& s) {
      const AccessWindow& w = s.row->*a;
      return json(w.elements ? static_cast<double>(w.elements) / std::max(1.0, w.stop - w.start)
                             : 0.0);
    };
  };
  static const ColumnTable<ScaleSimRow> t = {
      {"LayerID", "-", [](const ScaleSimRow& s) { return json(s.id); }},
      {"Avg IFMAP SRAM BW", "words/cycle", sram(&LayerRow::sram_ifmap)},
      {"Avg FILTER SRAM BW", "words/cycle", sram(&LayerRow::sram_filter)},
      {"Avg OFMAP SRAM BW", "words/cycle", sram(&LayerRow::sram_ofmap)},
      {"Avg IFMAP DRAM BW", "words/cycle", dram(&LayerRow::dram_ifmap)},
      {"Avg FILTER DRAM BW", "words/cycle", dram(&LayerRow::dram_filter)},
      {"Avg OFMAP DRAM BW", "words/cycle", dram(&LayerRow::dram_ofmap)},
  };
  return t;
}

// First and last cycle indices on SCALE-Sim's axis (DRAM prefetch before the first compute is
// negative) and the words moved.
const ColumnTable<ScaleSimRow>& detailed_access_columns() {
  static const ColumnTable<ScaleSimRow> t = [] {
    ColumnTable<ScaleSimRow> c = {
        {"LayerID", "-", [](const ScaleSimRow& s) { return json(s.id); }}};
    const char* names[6] = {"SRAM IFMAP", "SRAM Filter", "SRAM OFMAP",
                            "DRAM IFMAP", "DRAM Filter", "DRAM OFMAP"};
    const char* verbs[6] = {"Reads", "Reads", "Writes", "Reads", "Reads", "Writes"};
    AccessWindow LayerRow::*access[6] = {&LayerRow::sram_ifmap,  &LayerRow::sram_filter,
                                         &LayerRow::sram_ofmap,  &LayerRow::dram_ifmap,
                                         &LayerRow::dram_filter, &LayerRow::dram_ofmap};
    for (int k = 0; k < 6; ++k) {
      const auto a = access[k];
      c.push_back({std::string(names[k]) + " Start Cycle", "cycle", [a](const ScaleSimRow& s) {
                     const AccessWindow& w = s.row->*a;
                     return json(w.elements ? std::llround(s.first_index(w)) : 0);
                   }});
      c.push_back({std::string(names[k]) + " Stop Cycle", "cycle", [a](const ScaleSimRow& s) {
                     const AccessWindow& w = s.row->*a;
                     return json(w.elements ? std::llround(s.last_index(w)) : 0);
                   }});
      c.push_back({std::string(names[k]) + " " + verbs[k], "words",
                   [a](const ScaleSimRow& s) { return json((s.row->*a).elements); }});
    }
    return c;
  }();
  return t;
}

// Chrome / Perfetto trace-event timeline: one track per engine, one slice per job, and a track
// of layers; a fused pair (mapping.fusion) is one slice named after both layers, a depth-first
// group one slice named after its first and last layers. Written as text
// directly: a ResNet-50 run has ~30k slices, and building them as a JSON tree first took longer
// than the simulation.
std::string timeline_text(const RunResult& r) {
  const double us_per_cycle = 1e-3 / r.config.clock_ghz;
  std::string out = "{\"displayTimeUnit\":\"ns\",\"traceEvents\":[";
  bool first = true;
  char buf[64];
  // Appended piece by piece and numbers by to_chars (the same digits as printf's %.4f): a
  // ResNet-50 run on a small array has ~10^6 slices, and snprintf and temporary strings made
  // writing this file a tenth of the run.
  auto number = [&](double v) {
    out.append(buf, std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed, 4).ptr);
  };
  // `name` is a JSON string literal already; times in microseconds to 0.1 ns.
  auto slice = [&](const std::string& name, const char* cat, int tid, double start, double dur) {
    out += first ? "{\"name\":" : ",{\"name\":";
    first = false;
    out += name;
    out += ",\"cat\":\"";
    out += cat;
    out += "\",\"ph\":\"X\",\"pid\":1,\"tid\":";
    out.append(buf, std::to_chars(buf, buf + sizeof buf, tid).ptr);
    out += ",\"ts\":";
    number(start * us_per_cycle);
    out += ",\"dur\":";
    number(dur * us_per_cycle);
    out += '}';
  };
  for (int e = 0; e < kEngineCount; ++e) {
    out += first ? "" : ",";
    first = false;
    out += json({{"name", "thread_name"},
                 {"ph", "M"},
                 {"pid", 1},
                 {"tid", e},
                 {"args", {{"name", to_string(static_cast<Engine>(e))}}}})
               .dump();
  }
  std::vector<std::string> names;  // JSON-escaped once per layer
  for (const auto& row : r.rows) {
    const bool group = row.fusion.rfind("applies ", 0) == 0;
    const std::string fused = group ? row.fusion.substr(8, row.fusion.find(';') - 8) : "";
    names.push_back(json(group ? row.layer + " + " + fused : row.layer).dump());
  }
  for (const auto& t : r.trace) {
    slice(names[static_cast<std::size_t>(t.layer)], to_string(t.engine), static_cast<int>(t.engine),
          t.start, t.end - t.start);
  }
  // Each layer where the simulation started it, since the accelerator's origin; a depth-first
  // group as one slice, from its first band to its last (its members' bands run back to back).
  std::string group;
  for (std::size_t i = 0; i < r.rows.size(); ++i) {
    const std::string& f = r.rows[i].fusion;
    const auto df = f.find("depth-first ");
    if (df != std::string::npos) {
      if (f.substr(df) == group) continue;
      group = f.substr(df);
      double cycles = 0;
      for (std::size_t k = i;
           k < r.rows.size() && r.rows[k].fusion.find(group) != std::string::npos; ++k)
        cycles += static_cast<double>(r.rows[k].cycles);
      slice(json(group).dump(), "layer", kEngineCount, r.rows[i].start_cycle, cycles);
      continue;
    }
    if (f.rfind("in ", 0) == 0) continue;  // inside its fused pair's slice
    slice(names[i], "layer", kEngineCount, r.rows[i].start_cycle,
          static_cast<double>(r.rows[i].cycles));
  }
  return out + "]}\n";
}

}  // namespace

const ColumnTable<LayerRow>& layer_columns() {
  using R = LayerRow;
  static const ColumnTable<LayerRow> t = [] {
    ColumnTable<LayerRow> c = {
        member_column("layer", "-", &R::layer),
        member_column("type", "-", &R::type),
        member_column("weight_format", "-", &R::weight_format),
        member_column("weight_code_bits", "bits", &R::weight_code_bits),
        member_column("macs", "MACs", &R::macs),
        member_column("cycles", "cycles", &R::cycles),
        member_column("compute_cycles", "cycles", &R::compute_cycles),
        member_column("stall_cycles", "cycles", &R::stall_cycles),
        member_column("port_stall_cycles", "cycles", &R::port_stall_cycles),
        member_column("standard_fold_cycles", "cycles", &R::standard_fold_cycles),
        member_column("utilization_pct", "%", &R::utilization_pct),
        member_column("overall_utilization_pct", "%", &R::overall_utilization_pct),
        member_column("mapping_efficiency_pct", "%", &R::mapping_efficiency_pct),
        member_column("folds", "folds", &R::folds),
        member_column("tiles", "tiles", &R::tiles),
        member_column("mapping", "-", &R::mapping),
        member_column("fusion", "-", &R::fusion),
        member_column("inputs_from", "-", &R::inputs_from),
        member_column("output_to", "-", &R::output_to),
        member_column("dma_transactions", "transactions", &R::dma_transactions),
        member_column("dram_weights_read_bytes", "B", &R::dram_weights_read),
        member_column("dram_inputs_read_bytes", "B", &R::dram_inputs_read),
        member_column("dram_outputs_written_bytes", "B", &R::dram_outputs_written),
        member_column("weight_buffer_weights_written_bytes", "B", &R::wbuf_weights_written),
        member_column("weight_buffer_weights_read_bytes", "B", &R::wbuf_weights_read),
        member_column("activation_sram_inputs_written_bytes", "B", &R::asram_inputs_written),
        member_column("activation_sram_inputs_read_bytes", "B", &R::asram_inputs_read),
        member_column("output_buffer_written_bytes", "B", &R::obuf_written),
        member_column("output_buffer_read_bytes", "B", &R::obuf_read),
    };
    add_energy_columns<LayerRow>(c, [](const R& r) -> const EnergyBreakdown& { return r.energy; });
    c.push_back(member_column("energy_pj", "pJ", &R::energy_pj));
    c.push_back(member_column("energy_per_mac_pj", "pJ/MAC", &R::energy_per_mac_pj));
    auto text_or_null = [](const std::string& s) { return s.empty() ? json(nullptr) : json(s); };
    c.push_back({"mac_energy_model", "-",
                 [text_or_null](const R& r) { return text_or_null(r.mac_energy_model); }});
    c.push_back(
        {"mac_operands", "-", [text_or_null](const R& r) { return text_or_null(r.mac_operands); }});
    c.push_back(
        {"weight_sqnr_db", "dB", [](const R& r) { return finite_or_null(r.weight_sqnr_db); }});
    c.push_back({"output_sqnr_held_out_db", "dB",
                 [](const R& r) { return finite_or_null(r.output_sqnr_held_out_db); }});
    c.push_back({"output_sqnr_uncompensated_held_out_db", "dB", [](const R& r) {
                   return finite_or_null(r.output_sqnr_uncompensated_held_out_db);
                 }});
    c.push_back({"output_sqnr_in_sample_db", "dB",
                 [](const R& r) { return finite_or_null(r.output_sqnr_in_sample_db); }});
    c.push_back({"output_sqnr_uncompensated_in_sample_db", "dB", [](const R& r) {
                   return finite_or_null(r.output_sqnr_uncompensated_in_sample_db);
                 }});
    c.push_back(
        {"output_mismatches", "elements", [](const R& r) { return nonneg_or_null(r.mismatches); }});
    c.push_back({"tiling", "-", [](const R& r) { return r.tiling; }, false});
    c.push_back({"counts", "-", [](const R& r) { return r.counts; }, false});
    return c;
  }();
  return t;
}

const ColumnTable<RunResult>& total_columns() {
  using R = RunResult;
  static const ColumnTable<RunResult> t = [] {
    ColumnTable<RunResult> c = {
        member_column("workload", "-", &R::workload),
        member_column("design", "-", &R::design),
        {"mac_kind", "-", [](const R& r) { return json(to_string(r.mac)); }},
        member_column("weight_code_bits", "bits", &R::code_bits),
        {"feasible", "-", [](const R& r) { return json(r.feasible()); }},
        {"infeasible_reason", "-",
         [](const R& r) { return r.infeasible ? json(r.infeasible->message()) : json(nullptr); }},
        member_column("macs", "MACs", &R::macs),
        member_column("cycles", "cycles", &R::cycles),
        member_column("stall_cycles", "cycles", &R::stall_cycles),
        member_column("port_stall_cycles", "cycles", &R::port_stall_cycles),
        member_column("latency_s", "s", &R::latency_s),
        member_column("energy_pj", "pJ", &R::energy_pj),
        {"energy_per_mac_pj", "pJ/MAC",
         [](const R& r) { return json(r.macs ? r.energy_pj / r.macs : 0.0); }},
        // The totals are for the whole batch (workload.batch); these divide them by it.
        {"batch", "images", [](const R& r) { return json(r.config.batch); }},
        {"energy_per_inference_pj", "pJ",
         [](const R& r) { return json(r.energy_pj / r.config.batch); }},
        {"latency_per_inference_s", "s",
         [](const R& r) { return json(r.latency_s / r.config.batch); }},
        {"dram_bytes_per_inference", "B",
         [](const R& r) {
           return json(static_cast<double>(r.dram_bytes_read + r.dram_bytes_written) /
                       r.config.batch);
         }},
    };
    add_energy_columns<RunResult>(c, [](const R& r) -> const EnergyBreakdown& { return r.energy; });
    c.push_back(member_column("dram_bytes_read", "B", &R::dram_bytes_read));
    c.push_back(member_column("dram_bytes_written", "B", &R::dram_bytes_written));
    // The traffic no schedule avoids, and how far the run's is above it.
    c.push_back(
        {"dram_compulsory_bytes", "B", [](const R& r) { return json(r.dram_compulsory_bytes()); }});
    c.push_back(member_column("dram_compulsory_weight_bytes", "B", &R::dram_compulsory_weights));
    c.push_back(member_column("dram_compulsory_input_bytes", "B", &R::dram_compulsory_inputs));
    c.push_back(member_column("dram_compulsory_output_bytes", "B", &R::dram_compulsory_outputs));
    c.push_back({"dram_vs_compulsory", "x", [](const R& r) {
                   return r.dram_compulsory_bytes()
                              ? json(static_cast<double>(r.dram_bytes_read + r.dram_bytes_written) /
                                     static_cast<double>(r.dram_compulsory_bytes()))
                              : json(nullptr);
                 }});
    c.push_back({"utilization_pct", "%", [](const R& r) { return json(r.utilization_pct()); }});
    // mapping.fusion: layers run in a conv's output stage, of those that could be.
    c.push_back({"fused_layers", "layers", [](const R& r) { return json(r.fused_layers()); }});
    c.push_back({"fusable_layers", "layers",
                 [](const R& r) { return json(r.fused_layers() + r.unfused.size()); }});
    c.push_back(
        {"resident_tensors", "tensors", [](const R& r) { return json(r.resident_tensors); }});
    c.push_back(member_column("depth_first_groups", "groups", &R::depth_first_groups));
    c.push_back(member_column("depth_first_layers", "layers", &R::depth_first_layers));
    c.push_back(
        member_column("depth_first_cheaper_alone", "layers", &R::depth_first_cheaper_alone));
    c.push_back(member_column("depth_first_no_band_fits", "layers", &R::depth_first_no_band_fits));
    c.push_back(
        member_column("depth_first_one_band_only", "layers", &R::depth_first_one_band_only));
    c.push_back(
        member_column("depth_first_leaves_no_room", "layers", &R::depth_first_leaves_no_room));
    // How the PE-array layers' MACs were priced (LayerRow::mac_energy_model, mac_operands).
    c.push_back(
        {"mac_layers", "layers", [](const R& r) { return mac_energy_models(r)["layers"]; }});
    c.push_back({"mac_layers_characterised", "layers",
                 [](const R& r) { return mac_energy_models(r)["characterised"]; }});
    c.push_back({"mac_layers_simulated_operands", "layers",
                 [](const R& r) { return mac_energy_models(r)["simulated_operands"]; }});
    c.push_back({"bit_exact", "-", [](const R& r) {
                   return r.functional && r.feasible() ? json(r.mismatches == 0) : json(nullptr);
                 }});
    c.push_back({"output_mismatches", "elements", [](const R& r) {
                   return r.functional && r.feasible() ? json(r.mismatches) : json(nullptr);
                 }});
    return c;
  }();
  return t;
}

json mac_energy_models(const RunResult& r) {
  int layers = 0, characterised = 0, simulated = 0;
  for (const LayerRow& row : r.rows) {
    if (row.mac_energy_model.empty()) continue;
    ++layers;
    characterised += row.mac_energy_model == "characterised";
    simulated += row.mac_operands == "simulated operands";
  }
  return {{"layers", layers},
          {"characterised", characterised},
          {"structural", layers - characterised},
          {"simulated_operands", simulated},
          {"reference_operands", layers - simulated}};
}

json summary_json(const RunResult& r) {
  json s = to_json_object(total_columns(), r);
  const SimConfig& cfg = r.config;
  s["dataflow"] = to_string(cfg.array.dataflow);
  s["array"] = {{"rows", cfg.array.rows}, {"cols", cfg.array.cols}};
  s["clock_ghz"] = cfg.clock_ghz;
  s["weight_source"] = r.weight_source;
  s["notes"] = r.notes;
  s["functional"] = r.functional;
  s["weights_total"] = r.weights_total;
  s["weights_quantized"] = r.weights_quantized;
  s["layers"] = r.rows.size();
  s["energy_breakdown_pj"] = r.energy.to_json();
  s["config_hash"] = cfg.hash;
  s["energy_table"] = r.energy_table;
  s["mac_energy_model_layers"] = mac_energy_models(r);
  if (const DramTech* t = find_dram_tech(cfg.dram.technology)) {
    s["dram_technology"] = {{"name", t->name},
                            {"pj_per_bit", t->pj_per_bit},
                            {"energy_source", t->energy_source},
                            {"energy_source_primary", t->energy_primary},
                            {"gb_per_s", t->gb_per_s},
                            {"bandwidth_source", t->bandwidth_source}};
  }
  s["energy_calibration"] = r.energy_calibration;
  s["wall_seconds"] = r.seconds.total();
  // Writing is not included: this file is part of what is written.
  s["wall_seconds_by_stage"] = {{"load", r.seconds.load},
                                {"compile", r.seconds.compile},
                                {"plan", r.seconds.plan},
                                {"simulate", r.seconds.simulate}};
  s["compile_cached"] = r.seconds.compile_cached;
  s["simulated_macs_per_second"] =
      r.seconds.total() > 0 ? static_cast<double>(r.macs) / r.seconds.total() : 0.0;
  return s;
}

void write_run_outputs(const RunResult& r, const std::string& dir) {
  ensure_directory(dir);
  const std::string d = dir + "/";
  write_file_atomic(d + "summary.json", summary_json(r).dump(2) + "\n");
  write_file_atomic(d + "config.json", r.config.resolved.dump(2) + "\n");
  if (!r.feasible()) return;
  write_file_atomic(d + "layers.csv", to_csv(layer_columns(), r.rows));
  write_file_atomic(d + "layers.json", to_json_array(layer_columns(), r.rows).dump(1) + "\n");
  const auto ss = scalesim_rows(r);
  write_file_atomic(d + "COMPUTE_REPORT.csv", to_csv(compute_report_columns(), ss, kScaleSimCsv));
  write_file_atomic(d + "BANDWIDTH_REPORT.csv",
                    to_csv(bandwidth_report_columns(), ss, kScaleSimCsv));
  write_file_atomic(d + "DETAILED_ACCESS_REPORT.csv",
                    to_csv(detailed_access_columns(), ss, kScaleSimCsv));
  write_file_atomic(d + "timeline.json", timeline_text(r));
}

}  // namespace conloc
