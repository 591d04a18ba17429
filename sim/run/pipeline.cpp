#include "sim/run/pipeline.h"

#include <cerrno>
#include <chrono>
#include <cstring>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <sys/wait.h>
#include <tuple>
#include <unistd.h>

#include "modules/base/error.h"
#include "modules/layers/layer_kind.h"
#include "sim/common/stopwatch.h"
#include "sim/mapping/mapper.h"
#include "sim/quant/compiler.h"
#include "sim/rtl/mac_rtl.h"
#include "sim/top/accelerator.h"

namespace conloc {

namespace {

std::uint64_t bytes(std::uint64_t bits) {
  return (bits + 7) / 8;
}

RunResult identity(const SimConfig& cfg, const CompiledNetwork& cn, bool functional,
                   const EnergyModel& em) {
  RunResult r;
  r.config = cfg;
  r.workload = cn.net.name;
  r.design = cn.mac_name;
  r.weight_source = cn.weight_source;
  r.seconds.compile_cached = cn.from_cache;
  r.mac = cn.mac;
  r.code_bits = cn.widths.code_bits;
  r.functional = functional;
  r.weights_total = cn.weights_total;
  r.weights_quantized = cn.weights_quantized;
  r.energy_table = em.table().provenance();
  r.energy_calibration = em.calibration_json();
  return r;
}

// Where layer `i`'s inputs came from and its output went (LayerRow::inputs_from, output_to):
// DRAM, the activation SRAM (a resident tensor), a depth-first group's window, DRAM through a
// group's line buffer, or straight from the array into a fused output stage.
void where_from_and_to(const Accelerator& acc, const CompiledNetwork& cn, std::size_t i,
                       const PlanParams& params, const std::vector<TensorLife>& lives,
                       LayerRow& r) {
  auto place = [&](int t) -> std::string {
    const int producer = lives[static_cast<std::size_t>(t)].first;
    if (producer >= 0 && cn.net.layers[static_cast<std::size_t>(producer)].output == t &&
        params.fused_layer(producer) >= 0)
      return "array";
    if (producer >= 0) {
      // Between two members of a depth-first group: in a window of the activation SRAM.
      const LayerPlan& p = acc.plan().layers[static_cast<std::size_t>(producer)];
      if (p.group >= 0 && p.group_last >= lives[static_cast<std::size_t>(t)].last) return "window";
    }
    return params.on_chip(t) ? "on-chip" : "dram";
  };
  const std::vector<int>& inputs = cn.net.layers[i].inputs;
  for (std::size_t k = 0; k < inputs.size(); ++k) {
    const bool line_buffer = k == 0 && acc.plan().layers[i].line_buffered;
    r.inputs_from +=
        (k == 0 ? "" : ";") + (line_buffer ? std::string("line-buffer") : place(inputs[k]));
  }
  r.output_to = place(cn.net.layers[i].output);
}

// The fusion column's text of a depth-first group member: the group, its band and how it runs.
std::string group_text(const NetworkPlan& plan, const CompiledNetwork& cn, const LayerPlan& lp) {
  // A group of one plan shares no rows between members: it is that plan band by band, its
  // weights pinned.
  int plans = 0;
  for (int m = lp.group; m <= lp.group_last; ++m)
    plans += plan.layers[static_cast<std::size_t>(m)].fused_into < 0;
  return "depth-first " + cn.net.layers[static_cast<std::size_t>(lp.group)].name + ".." +
         cn.net.layers[static_cast<std::size_t>(lp.group_last)].name + " " +
         std::to_string(lp.group_rows) + " rows " +
         (plans == 1        ? "one plan"
          : lp.group_cached ? "cached"
                            : "recomputed");
}

// One row of the cost trace from what the engines and memories measured for layer `i`.
LayerRow layer_row(const Accelerator& acc, const CompiledNetwork& cn, bool functional,
                   std::size_t i, const std::vector<std::uint64_t>& mismatches,
                   const SimConfig& cfg, const EnergyModel& em,
                   const std::vector<LayerMacEnergy>& macs, const PlanParams& params,
                   const std::vector<TensorLife>& lives) {
  const Layer& l = cn.net.layers[i];
  const CompiledLayer& cl = cn.layers[i];
  const LayerResult& res = acc.results()[i];
  const LayerPlan& lp = acc.plan().layers[i];
  const LayerRunStats& st = res.stats;
  const double pe_slots = static_cast<double>(cfg.array.rows) * cfg.array.cols;
  LayerRow r;
  // 1. Time and utilisation.
  r.layer = l.name;
  r.type = to_string(l.type);
  r.on_pe_array = l.on_pe_array();
  r.macs = cn.net.gemm(l).macs() * cfg.batch;  // the whole batch
  r.cycles = res.cycles;
  r.compute_cycles = st.compute_cycles;
  r.stall_cycles = st.stall_cycles;
  r.port_stall_cycles = st.array.port_stall_cycles;
  r.standard_fold_cycles = st.array.standard_cycles;
  r.folds = st.array.folds;
  r.tiles = st.tiles;
  r.dma_transactions = st.dma_transactions;
  if (r.on_pe_array && st.compute_cycles > 0) {
    r.utilization_pct = 100.0 * r.macs / (static_cast<double>(st.compute_cycles) * pe_slots);
    r.overall_utilization_pct = 100.0 * r.macs / (static_cast<double>(res.cycles) * pe_slots);
    r.mapping_efficiency_pct = st.array.fold_slots ? 100.0 * r.macs / st.array.fold_slots : 0.0;
  }
  // 2. Traffic per memory and operand.
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
  // 3. Energy.
  LayerCost cost = cost_layer(cn, i, res, cfg, em, macs[i]);
  if (r.on_pe_array) {
    r.mac_energy_model = macs[i].model();
    r.mac_operands = macs[i].operands();
    r.weight_format = cl.mac->name();
    r.weight_code_bits = cn.code_bits(i);
  }
  r.energy = cost.energy;
  r.counts = std::move(cost.counts);
  r.energy_pj = r.energy.total();
  r.energy_per_mac_pj = r.macs > 0 ? r.energy_pj / static_cast<double>(r.macs) : 0.0;
  // 4. Accuracy measured by the compiler, and the check against the reference.
  r.weight_sqnr_db = cl.weight_sqnr_db;
  r.output_sqnr_in_sample_db = cl.output_sqnr_in_sample_db;
  r.output_sqnr_uncompensated_in_sample_db = cl.output_sqnr_uncompensated_in_sample_db;
  r.output_sqnr_held_out_db = cl.output_sqnr_held_out_db;
  r.output_sqnr_uncompensated_held_out_db = cl.output_sqnr_uncompensated_held_out_db;
  r.mismatches = functional ? static_cast<std::int64_t>(mismatches[i]) : -1;
  r.datapath_mismatches = functional ? static_cast<std::int64_t>(st.datapath_mismatches) : -1;
  // 5. Tiling, and access windows for the SCALE-Sim reports.
  r.tiling = {{"band_rows", lp.band_rows}, {"bands", lp.bands}, {"chunks", lp.chunks}};
  if (lp.on_pe_array && lp.group < 0) {
    const ConvMapping& m = lp.mapping;
    r.mapping = m.text();
    r.tiling["order"] = to_string(m.order);
    r.tiling["out_channels_per_tile"] = m.nt;
    r.tiling["in_channels_per_chunk"] = m.ct;
    r.tiling["n_tiles"] = lp.n_tiles;
    r.tiling["weights_resident"] = lp.weights_resident;
    r.tiling["input_band_all_channels"] = m.all_channels;
    r.tiling["images_per_tile"] = m.images;
    r.tiling["accumulate"] = m.accumulate;
    // What the mapper predicted for this mapping, next to what the simulation measured.
    const MappingCost predicted = evaluate_mapping(
        cfg, cn, static_cast<int>(i),
        params.resident.empty() ? params : params.for_layer(static_cast<int>(i), lives), em, macs,
        m);
    r.tiling["mapper_cycles"] = predicted.cycles;
    r.tiling["mapper_energy_pj"] = predicted.energy.total();
  }
  if (lp.fused_layer >= 0) r.fusion = "applies " + cn.net.layers[lp.fused_layer].name;
  if (lp.fused_into >= 0) r.fusion = "in " + cn.net.layers[lp.fused_into].name;
  if (lp.group >= 0) {
    if (lp.on_pe_array) r.mapping = lp.mapping.text();
    r.fusion = (r.fusion.empty() ? "" : r.fusion + "; ") + group_text(acc.plan(), cn, lp);
  }
  const auto& ungrouped = acc.plan().ungrouped;
  if (i < ungrouped.size() && !ungrouped[i].empty())
    r.fusion = (r.fusion.empty() ? "" : r.fusion + "; ") + "no depth-first group: " + ungrouped[i];
  where_from_and_to(acc, cn, i, params, lives, r);
  r.start_cycle = res.start_cycle;
  const auto& sw = st.sram_access;
  const auto& dr = st.dram_read;
  auto access = [](AccessWindow w) {
    w.start = std::max(0.0, w.start);
    w.stop = std::max(0.0, w.stop);
    return w;
  };
  r.sram_ifmap = access(sw[I]);
  r.sram_filter = access(sw[W]);
  r.sram_ofmap = access(sw[O]);
  r.dram_ifmap = access(dr[I]);
  r.dram_filter = access(dr[W]);
  r.dram_ofmap = access(st.dram_write[O]);
  return r;
}

// The compulsory DRAM traffic of the network for the batch (RunResult::dram_compulsory_*).
void compulsory_traffic(const CompiledNetwork& cn, int batch, RunResult& r) {
  const Network& net = cn.net;
  std::vector<bool> produced(net.tensors.size(), false), read(net.tensors.size(), false);
  std::uint64_t weight_bits = 0;
  for (std::size_t i = 0; i < net.layers.size(); ++i) {
    const Layer& l = net.layers[i];
    produced[static_cast<std::size_t>(l.output)] = true;
    for (int t : l.inputs)
      read[static_cast<std::size_t>(t)] = true;
    if (l.on_pe_array())
      weight_bits += static_cast<std::uint64_t>(net.weight_count(l)) *
                     static_cast<std::uint64_t>(cn.code_bits(i));
  }
  std::uint64_t in = 0, out = 0;
  for (std::size_t t = 0; t < net.tensors.size(); ++t) {
    const auto e = static_cast<std::uint64_t>(net.tensors[t].elements());
    if (!produced[t]) in += e;
    if (produced[t] && !read[t]) out += e;
  }
  const auto act = static_cast<std::uint64_t>(cn.widths.activation_bits) *
                   static_cast<std::uint64_t>(std::max(1, batch));
  r.dram_compulsory_weights = bytes(weight_bits);
  r.dram_compulsory_inputs = bytes(in * act);
  r.dram_compulsory_outputs = bytes(out * act);
}

void collect(const Accelerator& acc, const CompiledNetwork& cn, const EnergyModel& em,
             const std::vector<LayerMacEnergy>& macs, RunResult& r) {
  compulsory_traffic(cn, r.config.batch, r);
  const auto mism = acc.compare_outputs();
  r.mismatches = r.functional ? 0 : -1;
  const auto df = make_dataflow(r.config.array.dataflow);
  PlanParams params = plan_params(r.config, cn, df.get());
  // The fusions the mapper could choose, and those it chose (what the mapper's own estimate of
  // each layer is repeated for).
  const std::vector<int> fusable = params.fused_stage;
  for (std::size_t i = 0; i < params.fused_stage.size(); ++i)
    params.fused_stage[i] = acc.plan().layers[i].fused_layer;
  params.resident = acc.plan().resident;
  const std::vector<TensorLife> lives = tensor_lives(cn.net, params);
  for (std::size_t t = 0; t < params.resident.size(); ++t)
    r.resident_tensors += params.on_chip(static_cast<int>(t));
  for (std::size_t i = 0; i < acc.plan().layers.size(); ++i) {
    const int g = acc.plan().layers[i].group;
    r.depth_first_groups += g == static_cast<int>(i);
    r.depth_first_layers += g >= 0;
  }
  for (const std::string& why : acc.plan().ungrouped) {
    r.depth_first_cheaper_alone += why.rfind(kCheaperAlone, 0) == 0;
    r.depth_first_no_band_fits += why == kNoBandFits;
    r.depth_first_one_band_only += why == kOneBandOnly;
    r.depth_first_leaves_no_room += why == kLeavesNoRoom;
  }
  for (int f : fusable)
    if (f >= 0 && acc.plan().layers[static_cast<std::size_t>(f)].fused_into < 0)
      r.unfused.push_back(cn.net.layers[static_cast<std::size_t>(f)].name);
  for (std::size_t i = 0; i < cn.net.layers.size(); ++i) {
    LayerRow row = layer_row(acc, cn, r.functional, i, mism, r.config, em, macs, params, lives);
    r.macs += row.macs;
    r.cycles += row.cycles;
    r.stall_cycles += row.stall_cycles;
    r.port_stall_cycles += row.port_stall_cycles;
    r.dram_bytes_read += row.dram_weights_read + row.dram_inputs_read;
    r.dram_bytes_written += row.dram_outputs_written;
    r.energy += row.energy;
    if (row.mismatches > 0) r.mismatches += row.mismatches;
    if (row.datapath_mismatches > 0) r.mismatches += row.datapath_mismatches;
    r.rows.push_back(std::move(row));
  }
  r.energy_pj = r.energy.total();
  r.latency_s = static_cast<double>(r.cycles) / (r.config.clock_ghz * 1e9);
  r.trace = acc.trace();
}

// Refuses a request whose network was compiled for another configuration, or lacks what a
// functional run needs: a caller's bug, not the user's.
void check_request(const RunRequest& q) {
  const CompiledNetwork& cn = *q.cn;
  const std::string want = compile_spec(*q.cfg, cn.calibrated).key;
  CONLOC_ASSERT(cn.compile_key == want, "pipeline",
                "a network compiled for " + cn.compile_key +
                    " was paired with a configuration that "
                    "compiles to " +
                    want);
  if (!q.functional) return;
  CONLOC_ASSERT(cn.calibrated, "pipeline", "a functional run needs a calibrated network");
  CONLOC_ASSERT(static_cast<int>(cn.batch_tensors.size()) == q.cfg->batch - 1, "pipeline",
                "a functional batch of " + std::to_string(q.cfg->batch) +
                    " needs the reference of every image (prepare_network)");
}

}  // namespace

std::string mac_prices_key(const SimConfig& cfg) {
  return std::to_string(static_cast<int>(cfg.array.dataflow)) + "/" +
         std::to_string(cfg.array.rows) + "/" + std::to_string(cfg.batch) + "/" +
         mac_circuit_fnv1a64(cfg) + "/" + cfg.energy_table_path;
}

std::string planning_fingerprint(const SimConfig& cfg) {
  const nlohmann::json& r = cfg.resolved;
  return nlohmann::json::array({r.at("array"), r.at("buffers"), r.at("mapping"),
                                r.at("workload").at("batch"), r.at("dram").at("burst_bytes")})
      .dump();
}

std::vector<RunResult> run_simulations(const std::vector<RunRequest>& requests,
                                       const EnergyModel& energy) {
  std::vector<RunResult> results;
  std::vector<PlannedRun> planned;
  std::vector<std::size_t> planned_index;
  std::vector<std::vector<LayerMacEnergy>> macs(requests.size());
  std::map<std::pair<const CompiledNetwork*, std::string>, std::size_t> priced;
  // The mapper's counts, shared by requests of the same planning parameters (a sweep batch's
  // points over the DRAM, the clock or the energy table; designs of one code width), in groups
  // of requests of one planning fingerprint and compiled network (the mapper keys the counts
  // exactly within a group), each dropped after its last request: a ResNet-50 plan's are 5-8 MB
  // of fresh memory, and a sweep batch of eight runs that share nothing held all eight's to the
  // end.
  std::vector<std::string> group(requests.size());
  std::map<std::string, std::size_t> last_of;  // group -> its last request
  for (std::size_t i = 0; i < requests.size(); ++i) {
    group[i] = planning_fingerprint(*requests[i].cfg) + "\n" + requests[i].cn->compile_key;
    last_of[group[i]] = i;
  }
  std::map<std::string, std::unique_ptr<MappingReuse>> reuse;
  // 1. Check, price the MACs, plan.
  for (std::size_t i = 0; i < requests.size(); ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    const RunRequest& q = requests[i];
    check_request(q);
    results.push_back(identity(*q.cfg, *q.cn, q.functional, energy));
    // A network's MAC prices on an array (mac_prices_key): requests over the columns, the
    // buffers or the DRAM sample its operand toggles once.
    if (q.macs) {
      macs[i] = *q.macs;
    } else {
      const auto [it, first] = priced.try_emplace({q.cn, mac_prices_key(*q.cfg)}, i);
      macs[i] = first ? mac_energies(*q.cn, *q.cfg, energy, mac_circuit_fnv1a64(*q.cfg))
                      : macs[it->second];
    }
    auto& shared = reuse[group[i]];
    if (!shared) shared = std::make_unique<MappingReuse>();
    PlanResult p = plan_run(*q.cfg, *q.cn, energy, macs[i], shared.get(), true);
    if (last_of.at(group[i]) == i) reuse.erase(group[i]);
    results.back().seconds.plan = seconds_since(t0);
    if (p.infeasible) {
      results.back().infeasible = std::move(p.infeasible);
      continue;
    }
    planned.push_back({q.cfg, q.cn, std::move(p.plan), q.functional, q.make_mac, q.trace});
    planned_index.push_back(i);
  }
  if (planned.empty()) return results;
  // 2. Simulate every feasible design in one kernel run.
  const auto t0 = std::chrono::steady_clock::now();
  const auto accs = simulate(std::move(planned));
  const double sim_s = seconds_since(t0);
  // 3. Collect.
  for (std::size_t k = 0; k < accs.size(); ++k) {
    const std::size_t i = planned_index[k];
    RunResult& r = results[i];
    collect(*accs[k], *requests[i].cn, energy, macs[i], r);
    r.seconds.simulate = sim_s;
  }
  return results;
}

std::vector<SimulatedCost> simulate_in_child(const std::vector<RunRequest>& requests,
                                             const EnergyModel& energy) {
  int fd[2];
  if (::pipe(fd) != 0)
    throw SimulationError(std::string("cannot open a pipe: ") + std::strerror(errno));
  std::fflush(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) throw SimulationError(std::string("cannot fork: ") + std::strerror(errno));
  if (pid == 0) {
    ::close(fd[0]);
    nlohmann::json out;
    try {
      out["results"] = nlohmann::json::array();
      for (const RunResult& r : run_simulations(requests, energy)) {
        out["results"].push_back({{"energy_pj", r.energy_pj},
                                  {"cycles", r.cycles},
                                  {"mismatches", r.mismatches},
                                  {"infeasible", r.infeasible ? r.infeasible->message() : ""}});
      }
    } catch (const UserError& e) {
      out = {{"user_error", e.what()}};
    } catch (const std::exception& e) {
      out = {{"error", e.what()}};
    }
    const std::string text = out.dump();
    for (std::size_t at = 0; at < text.size();) {
      const ssize_t n = ::write(fd[1], text.data() + at, text.size() - at);
      if (n <= 0) ::_exit(3);
      at += static_cast<std::size_t>(n);
    }
    ::_exit(0);
  }
  ::close(fd[1]);
  std::string text;
  char buf[65536];
  for (ssize_t n; (n = ::read(fd[0], buf, sizeof buf)) != 0;) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    text.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || text.empty())
    throw SimulationError("the simulation process failed (status " + std::to_string(status) + ")");
  const nlohmann::json j = nlohmann::json::parse(text);
  if (j.contains("user_error")) throw UserError(j["user_error"].get<std::string>());
  if (j.contains("error")) throw SimulationError(j["error"].get<std::string>());
  std::vector<SimulatedCost> out;
  for (const auto& r : j["results"]) {
    out.push_back({r["energy_pj"].get<double>(), r["cycles"].get<std::uint64_t>(),
                   r["mismatches"].get<std::int64_t>(), r["infeasible"].get<std::string>()});
  }
  return out;
}

}  // namespace conloc
