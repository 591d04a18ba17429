#include <chrono>
#include <cstdio>
#include <iostream>

#include "modules/common/error.h"
#include "sim/cli/options.h"
#include "sim/common/file_io.h"
#include "sim/common/stopwatch.h"
#include "sim/config/sim_config.h"
#include "sim/energy/energy_model.h"
#include "sim/quant/compiler.h"
#include "sim/report/comparison.h"
#include "sim/report/run_report.h"
#include "sim/run/pipeline.h"
#include "sim/workload/workload.h"

namespace conloc {

namespace {

struct RunOptions {
  CommonOptions common;
  std::string workload = "resnet18";
  std::string design;
  int image = -1;  // not given
  bool timing_only = false;
};

bool parse_run_options(const std::string& cmd, const std::vector<std::string>& args, RunOptions& o,
                       bool with_design) {
  po::options_description desc(cmd + " options");
  add_common_options(desc, o.common, true);
  desc.add_options()("workload", po::value<std::string>(&o.workload),
                     "built-in network name or network JSON file (default: resnet18)")(
      "timing-only", po::bool_switch(&o.timing_only),
      "skip the values: timing, traffic and energy only (fast sweeps)")(
      "image", po::value<int>(&o.image),
      "input image index, for workloads that ship images (default 0)");
  if (with_design) {
    desc.add_options()("design", po::value<std::string>(&o.design),
                       "elp or fixed (shortcut for --set design.mac=...)");
  }
  po::variables_map vm;
  if (!parse_options(cmd,
                     "[--config F] [--set k=v]... [--workload NAME|FILE]" +
                         std::string(with_design ? " [--design elp|fixed]" : "") +
                         " [--timing-only] [--out DIR]",
                     desc, args, vm)) {
    return false;
  }
  if (!o.design.empty()) {
    if (o.design != "elp" && o.design != "fixed") {
      throw UserError(
          field_error("--design", "", "unknown design", "\"" + o.design + "\"", "elp or fixed"));
    }
    o.common.overrides.push_back("design.mac=" + o.design);
  }
  if (o.common.out_dir.empty()) o.common.out_dir = "out/" + cmd + "-" + o.workload;
  return true;
}

std::string human(double v, const char* unit) {
  const char* prefixes[] = {"", "k", "M", "G", "T"};
  int i = 0;
  while (std::abs(v) >= 1000 && i < 4) {
    v /= 1000;
    ++i;
  }
  char b[64];
  std::snprintf(b, sizeof b, "%.3g %s%s", v, prefixes[i], unit);
  return b;
}

std::string energy_text(double pj) {
  char b[64];
  if (pj >= 1e9) {
    std::snprintf(b, sizeof b, "%.3g mJ", pj * 1e-9);
  } else {
    std::snprintf(b, sizeof b, "%.3g uJ", pj * 1e-6);
  }
  return b;
}

void print_summary(const RunResult& r, const std::string& dir, double wall) {
  const SimConfig& cfg = r.config;
  const bool elp = r.mac == MacKind::ElpBsd;
  std::printf(
      "%s on a %dx%d %s array, %s MACs (%s, %d-bit weights%s), %.3g GHz\n", r.workload.c_str(),
      cfg.array.rows, cfg.array.cols,
      cfg.array.dataflow == Dataflow::WeightStationary ? "weight-stationary" : "output-stationary",
      elp ? "ELP_BSD shift-add" : "fixed-point", r.design.c_str(), r.code_bits,
      elp ? (cfg.design.elp_mac == ElpMacVariant::Parallel ? ", parallel-term" : ", term-serial")
          : "",
      cfg.clock_ghz);
  std::printf("  weights   %s\n", r.weight_source.c_str());
  if (r.weights_quantized < r.weights_total) {
    std::printf("            MAC statistics from a sample: %.1f %% of the weights quantized "
                "(sim.timing_weight_sample; docs/timing.md)\n",
                100.0 * static_cast<double>(r.weights_quantized) /
                    static_cast<double>(r.weights_total));
  }
  if (r.functional) {
    std::printf("  values    %zu layers simulated on integer data; %s\n", r.rows.size(),
                r.mismatches == 0
                    ? "bit-exact against the integer reference"
                    : ("MISMATCH: " + std::to_string(r.mismatches) + " elements differ").c_str());
  } else {
    std::printf("  values    not simulated (--timing-only)\n");
  }
  std::printf("  work      %s MACs\n", human(static_cast<double>(r.macs), "").c_str());
  std::printf("  latency   %s cycles (%s stall) = %.4g ms\n",
              human(static_cast<double>(r.cycles), "").c_str(),
              human(static_cast<double>(r.stall_cycles), "").c_str(), r.latency_s * 1e3);
  std::printf("  energy    %s, %.3g pJ/MAC:", energy_text(r.energy_pj).c_str(),
              r.macs ? r.energy_pj / static_cast<double>(r.macs) : 0.0);
  const auto v = r.energy.values();
  for (std::size_t k = 0; k < v.size(); ++k) {
    if (v[k] > 0)
      std::printf(" %s %.1f%%", EnergyBreakdown::component_names()[k].c_str(),
                  100 * v[k] / r.energy_pj);
  }
  std::printf("\n  DRAM      %s read, %s written\n",
              human(static_cast<double>(r.dram_bytes_read), "B").c_str(),
              human(static_cast<double>(r.dram_bytes_written), "B").c_str());
  std::printf(
      "  wall      %.2f s: compile %.2f, plan %.2f, simulate %.2f, write %.2f (%s simulated "
      "MACs/s)\n",
      wall, r.seconds.compile, r.seconds.plan, r.seconds.simulate, r.seconds.write,
      human(wall > 0 ? r.macs / wall : 0, "").c_str());
  std::printf(
      "  files     %s/{layers.csv, layers.json, summary.json, config.json, timeline.json,\n"
      "            COMPUTE_REPORT.csv, BANDWIDTH_REPORT.csv, DETAILED_ACCESS_REPORT.csv}\n",
      dir.c_str());
}

// Compiles the workload for each design and runs them side by side in one simulation. A design
// whose layers do not fit the buffers is a user error here (a sweep records it as a row instead).
std::vector<RunResult> run_designs(const RunOptions& o, const std::vector<SimConfig>& cfgs) {
  const SimConfig& base = cfgs.front();
  const Workload w = load_workload(o.workload, base.seed, o.image);
  const EnergyModel em(EnergyTable::load(base.energy_table_path));
  std::vector<CompiledNetwork> cns;
  std::vector<double> compile_s;
  for (const SimConfig& cfg : cfgs) {
    const auto t0 = std::chrono::steady_clock::now();
    cns.push_back(compile_network(w.net, cfg, cfg.design.mac, !o.timing_only, *w.weights));
    compile_s.push_back(seconds_since(t0));
  }
  std::vector<RunRequest> req;
  for (std::size_t i = 0; i < cfgs.size(); ++i)
    req.push_back({&cfgs[i], &cns[i]});
  std::vector<RunResult> results = run_simulations(req, em);
  for (std::size_t i = 0; i < results.size(); ++i) {
    if (results[i].infeasible) throw UserError(results[i].infeasible->message());
    results[i].seconds.compile = compile_s[i];
  }
  return results;
}

// Writes a run's files and records how long that took.
void write_outputs(RunResult& r, const std::string& dir) {
  const auto t0 = std::chrono::steady_clock::now();
  write_run_outputs(r, dir);
  r.seconds.write = seconds_since(t0);
}

}  // namespace

int cmd_run(const std::vector<std::string>& args) {
  RunOptions o;
  if (!parse_run_options("run", args, o, true)) return kExitOk;
  const auto t0 = std::chrono::steady_clock::now();
  const SimConfig cfg = load_sim_config(o.common.config_file, o.common.overrides);
  ensure_directory(o.common.out_dir);
  RunResult r = std::move(run_designs(o, {cfg}).front());
  write_outputs(r, o.common.out_dir);
  print_summary(r, o.common.out_dir, seconds_since(t0));
  if (r.functional && r.mismatches != 0) {
    std::cerr << "simulation failed: accelerator outputs differ from the integer reference (see "
                 "output_mismatches in layers.csv)\n";
    return kExitSimulationFailure;
  }
  return kExitOk;
}

int cmd_compare(const std::vector<std::string>& args) {
  RunOptions o;
  if (!parse_run_options("compare", args, o, false)) return kExitOk;
  const auto t0 = std::chrono::steady_clock::now();
  const SimConfig base = load_sim_config(o.common.config_file, o.common.overrides);
  ensure_directory(o.common.out_dir);
  std::vector<RunResult> rs =
      run_designs(o, {base.with_mac(MacKind::ElpBsd), base.with_mac(MacKind::FixedPoint)});
  RunResult& re = rs[0];
  RunResult& rf = rs[1];
  write_outputs(re, o.common.out_dir + "/elp");
  write_outputs(rf, o.common.out_dir + "/fixed");
  const Comparison c = compare_reports(re, rf);
  write_file_atomic(o.common.out_dir + "/comparison.csv", c.csv);
  write_file_atomic(o.common.out_dir + "/comparison.json", c.json.dump(2) + "\n");
  std::printf("%s: ELP_BSD (%s) vs fixed-point (%s) on a %dx%d %s array\n\n", re.workload.c_str(),
              re.design.c_str(), rf.design.c_str(), base.array.rows, base.array.cols,
              to_string(base.array.dataflow));
  std::printf("%s", c.table.c_str());
  std::printf("\nlatency %.4g ms vs %.4g ms; energy %s vs %s (ratio %.3f); DRAM read %s vs %s\n",
              re.latency_s * 1e3, rf.latency_s * 1e3, energy_text(re.energy_pj).c_str(),
              energy_text(rf.energy_pj).c_str(),
              rf.energy_pj > 0 ? re.energy_pj / rf.energy_pj : 0.0,
              human(static_cast<double>(re.dram_bytes_read), "B").c_str(),
              human(static_cast<double>(rf.dram_bytes_read), "B").c_str());
  if (re.functional) {
    std::printf("values: %s\n", re.mismatches == 0 && rf.mismatches == 0
                                    ? "both designs bit-exact against their integer references"
                                    : "MISMATCH against the integer reference");
  }
  std::printf("files: %s/{comparison.csv, comparison.json, elp/, fixed/}  (wall %.2f s)\n",
              o.common.out_dir.c_str(), seconds_since(t0));
  return re.mismatches > 0 || rf.mismatches > 0 ? kExitSimulationFailure : kExitOk;
}

}  // namespace conloc
