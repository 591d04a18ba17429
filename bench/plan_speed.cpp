// The mapper's speed: the plan stage (choose_schedule and plan_network, what `run` reports as
// `plan`) over a grid of accelerators like the design-space sweep's, on one network compiled once,
// beside its baseline in the same run: the same layers searched the plain way (every candidate of
// mapping_candidates counted and costed by evaluate_mapping). Prints one JSON object: the times
// and whether both found the same mappings (they must: pruning may skip work, never change a
// choice).
//
// Also the plan stage of each accelerator with another DRAM technology, planned after its own
// with the mapper's counts kept (MappingReuse, as a sweep worker's batch shares them), and
// whether that chose as the plan alone does.
//
// usage: plan_speed [WORKLOAD] [REPEAT] [--no-baseline] [KEY=VALUE ...]   (default resnet50, 3:
//        the fastest of REPEAT passes; --no-baseline times the plan stage alone, for a profiler;
//        KEY=VALUE settings for every accelerator, e.g. mapping.buffering=any)
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "sim/common/stopwatch.h"
#include "sim/config/sim_config.h"
#include "sim/energy/energy_cost.h"
#include "sim/energy/energy_model.h"
#include "sim/mapping/mapper.h"
#include "sim/rtl/mac_rtl.h"
#include "sim/run/prepare.h"
#include "sim/top/accelerator.h"

namespace {

using Clock = std::chrono::steady_clock;

// The mappings of a plan's conv / fc layers as text: two searches chose alike when these match.
void append(std::string& out, const conloc::ConvMapping& m) {
  out += m.text();
  out += '\n';
}

struct Point {
  conloc::SimConfig cfg;
  const conloc::CompiledNetwork* cn;
  std::vector<conloc::LayerMacEnergy> macs;
};

// The fastest pass: on a shared machine noise only ever adds time.
double fastest(const std::vector<double>& v) {
  return *std::min_element(v.begin(), v.end());
}

}  // namespace

int sc_main(int argc, char* argv[]) {
  using namespace conloc;
  std::vector<std::string> positional, sets;
  bool baseline = true;  // false: the plan stage alone, for profiling
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--no-baseline") {
      baseline = false;
    } else if (a.find('=') != std::string::npos) {
      sets.push_back(a);
    } else {
      positional.push_back(a);
    }
  }
  const std::string workload = positional.size() > 0 ? positional[0] : "resnet50";
  const int repeat = positional.size() > 1 ? std::max(1, std::atoi(positional[1].c_str())) : 3;
  const std::string preset = data_dir() + "/configs/presets/default.json";
  const Workload w = load_workload(workload, 1);
  std::map<std::string, CompiledNetwork> compiled;  // by network_key
  std::vector<Point> points;
  std::unique_ptr<EnergyModel> em;
  double pricing_s = 0;  // mac_energies, which the sweep's plan stage also counts
  for (const char* df : {"ws", "os"})
    for (int rows : {8, 32})
      for (int cols : {16, 64})
        for (int kib : {32, 256}) {
          const std::string b = std::to_string(kib);
          std::vector<std::string> point_sets = {
              "array.dataflow=" + std::string(df),  "array.rows=" + std::to_string(rows),
              "array.cols=" + std::to_string(cols), "buffers.weight_kib=" + b,
              "buffers.activation_kib=" + b,        "buffers.output_kib=" + b};
          point_sets.insert(point_sets.end(), sets.begin(), sets.end());
          const SimConfig cfg = load_sim_config(preset, point_sets);
          if (!em) em = std::make_unique<EnergyModel>(EnergyTable::load(cfg.energy_table_path));
          const std::string key = network_key(w, cfg, false);
          auto it = compiled.find(key);
          if (it == compiled.end())
            it = compiled.emplace(key, prepare_network(w, cfg, false)).first;
          Point p{cfg, &it->second, {}};
          const auto t0 = Clock::now();
          p.macs = mac_energies(*p.cn, cfg, *em, mac_circuit_fnv1a64(cfg));
          pricing_s += seconds_since(t0);
          points.push_back(std::move(p));
        }

  // The plan stage as `run` does it.
  std::string planned_choice;
  std::vector<double> plan_s;
  for (int r = 0; r < repeat; ++r) {
    std::string h;
    const auto t0 = Clock::now();
    for (const Point& p : points) {
      const PlanResult planned = plan_run(p.cfg, *p.cn, *em, p.macs);
      for (std::size_t i = 0; i < planned.plan.layers.size(); ++i)
        if (p.cn->net.layers[i].on_pe_array()) append(h, planned.plan.layers[i].mapping);
    }
    plan_s.push_back(seconds_since(t0));
    planned_choice = h;
  }

  // Reuse across runs (MappingReuse, what a sweep worker's batch shares): each accelerator with
  // another DRAM technology, planned after its default-DRAM plan with one MappingReuse, against
  // the same plan alone; both must choose alike.
  std::string reused_choice, alone_choice;
  std::vector<double> reused_s = {0.0};
  for (int r = 0; r < (baseline ? repeat : 0); ++r) {
    if (r == 0) reused_s.clear();
    std::string h, a;
    double s = 0;
    for (const Point& p : points) {
      const SimConfig other = p.cfg.with({{"dram.technology", "hbm2e", "bench"}});
      MappingReuse reuse;
      (void)plan_run(p.cfg, *p.cn, *em, p.macs, &reuse);
      const auto t0 = Clock::now();
      const PlanResult shared = plan_run(other, *p.cn, *em, p.macs, &reuse);
      s += seconds_since(t0);
      const PlanResult alone = plan_run(other, *p.cn, *em, p.macs);
      for (std::size_t i = 0; i < shared.plan.layers.size(); ++i) {
        if (!p.cn->net.layers[i].on_pe_array()) continue;
        append(h, shared.plan.layers[i].mapping);
        append(a, alone.plan.layers[i].mapping);
      }
    }
    reused_s.push_back(s);
    reused_choice = h;
    alone_choice = a;
  }

  // The baseline: every candidate counted and costed, the first of least objective kept (what
  // the mapper chooses under mapping.fusion = none).
  std::string plain_choice;
  std::vector<double> plain_s;
  std::uint64_t candidates = 0;
  for (int r = 0; r < (baseline ? repeat : 0); ++r) {
    std::string h;
    candidates = 0;
    const auto t0 = Clock::now();
    for (const Point& p : points) {
      const auto df = make_dataflow(p.cfg.array.dataflow);
      const PlanParams params = plan_params(p.cfg, *p.cn, df.get());
      const MemoryCosts memory(p.cfg, *em);
      for (std::size_t i = 0; i < p.cn->net.layers.size(); ++i) {
        if (!p.cn->net.layers[i].on_pe_array()) continue;
        const int li = static_cast<int>(i);
        std::optional<MappingCost> best;
        for (const ConvMapping& m : mapping_candidates(p.cfg, *p.cn, li, params)) {
          ++candidates;
          MappingCost c = evaluate_mapping(p.cfg, *p.cn, li, params, *em, p.macs, m, &memory);
          if (!best || c.objective < best->objective) best = c;
        }
        if (best) append(h, best->mapping);
      }
    }
    plain_s.push_back(seconds_since(t0));
    plain_choice = h;
  }

  const double n = static_cast<double>(points.size());
  std::printf(
      "{\"workload\": \"%s\", \"accelerators\": %zu, \"repeat\": %d, \"candidates\": %llu,\n"
      " \"plan_ms_per_accelerator\": %.2f, \"plain_search_ms_per_accelerator\": %.2f,\n"
      " \"reused_plan_ms_per_accelerator\": %.2f, \"reuse_same_mappings\": %s,\n"
      " \"mac_pricing_ms_per_accelerator\": %.2f, \"same_mappings\": %s}\n",
      workload.c_str(), points.size(), repeat, static_cast<unsigned long long>(candidates),
      1e3 * fastest(plan_s) / n, baseline ? 1e3 * fastest(plain_s) / n : 0.0,
      1e3 * fastest(reused_s) / n, reused_choice == alone_choice ? "true" : "false",
      1e3 * pricing_s / n,
      !baseline                        ? "null"
      : planned_choice == plain_choice ? "true"
                                       : "false");
  return (!baseline || planned_choice == plain_choice) && reused_choice == alone_choice ? 0 : 1;
}
