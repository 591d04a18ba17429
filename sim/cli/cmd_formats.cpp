#include <cstdio>
#include <iostream>

#include "modules/arith/elp_bsd_format.h"
#include "modules/arith/elp_lut_format.h"
#include "modules/base/error.h"
#include "sim/cli/options.h"
#include "sim/common/rng.h"
#include "sim/config/sim_config.h"
#include "sim/energy/energy_model.h"
#include "sim/report/format_survey.h"
#include "sim/run/pipeline.h"
#include "sim/run/prepare.h"
#include "sim/workload/npy.h"

namespace conloc {

namespace {

// The tensor `formats` measures when no --weights is given: 64 output channels x 3x3x64, drawn
// from Laplace(0, 1/sqrt(fan_in)) -- the heavy-tailed, zero-centred shape of trained conv weights.
std::vector<float> synthetic_weights(std::uint64_t seed, std::size_t& channels) {
  channels = 64;
  const std::size_t per = 3 * 3 * 64;
  Rng rng(seed);
  std::vector<float> w(channels * per);
  const double b = 1.0 / std::sqrt(static_cast<double>(per));
  for (auto& v : w)
    v = static_cast<float>(rng.laplace(b));
  return w;
}

// --levels: every ELP_BSD preset's exact level set and code width.
void print_levels() {
  for (const auto& p : ElpBsdFormat::presets()) {
    const ElpBsdFormat f(p);
    std::printf("%s (%d bits, %zu levels):", f.name().c_str(), f.code_bits(), f.levels().size());
    for (auto v : f.levels()) {
      if (v >= 0) std::printf(" %d", v);
    }
    std::printf(" (and negatives)\n");
  }
  for (const auto& p : ElpLutFormat::presets()) {
    const ElpLutFormat f = ElpLutFormat::preset(p.name);
    std::printf("%s (%d bits, %zu levels, <= %d terms, positions 0..%d):", f.name().c_str(),
                f.code_bits(), f.levels().size(), p.terms, f.max_position());
    for (auto v : f.magnitudes())
      std::printf(" %d", v);
    std::printf(" (0 and negatives too)\n");
  }
}

// A workload's layer (the named one, or the one with the most MACs): every format compiled and
// run (timing-only, side by side), the layer's figures read from the runs. Sets the layer's
// channel count and description.
std::vector<FormatSurveyRow> survey_workload_layer(const SimConfig& cfg, const EnergyModel& energy,
                                                   const std::string& workload,
                                                   const std::string& layer_name,
                                                   std::size_t& channels, std::string& what) {
  const Workload wl = load_workload(workload, cfg.seed);
  int li = -1;
  for (std::size_t i = 0; i < wl.net.layers.size(); ++i) {
    const Layer& l = wl.net.layers[i];
    if (!l.on_pe_array()) continue;
    if (layer_name.empty() ? li < 0 || wl.net.gemm(l).macs() > wl.net.gemm(wl.net.layers[li]).macs()
                           : l.name == layer_name)
      li = static_cast<int>(i);
  }
  if (li < 0) {
    throw UserError(field_error("--layer", "", "no conv or fc layer of that name", layer_name,
                                "a PE-array layer of " + wl.net.name));
  }
  const std::vector<SimConfig> cfgs = format_configs(cfg);
  std::vector<CompiledNetwork> cns;
  cns.reserve(cfgs.size());
  for (const SimConfig& fc : cfgs)
    cns.push_back(prepare_network(wl, fc, false));
  std::vector<RunRequest> req;
  std::vector<const CompiledNetwork*> cn_of;
  for (std::size_t i = 0; i < cfgs.size(); ++i) {
    req.push_back({&cfgs[i], &cns[i], false});
    cn_of.push_back(&cns[i]);
  }
  const std::vector<RunResult> runs = run_simulations(req, energy);
  for (const RunResult& r : runs) {
    if (r.infeasible) throw UserError(r.infeasible->message());
  }
  std::vector<FormatSurveyRow> rows = survey_layer(cfgs, cn_of, runs, li, energy);
  const GemmShape g = wl.net.gemm(wl.net.layers[static_cast<std::size_t>(li)]);
  channels = static_cast<std::size_t>(g.n * g.groups);
  what = wl.net.name + " layer " + wl.net.layers[static_cast<std::size_t>(li)].name + " (" +
         std::to_string(g.k) + " weights per channel; operands simulated as in a run)";
  return rows;
}

// The survey as a table on stdout, with what its columns mean.
void print_survey(const SimConfig& cfg, const EnergyModel& energy,
                  const std::vector<FormatSurveyRow>& rows, bool workload_layer,
                  const std::string& what, std::size_t channels, std::size_t weights) {
  if (!workload_layer) {
    std::printf("weights: %s (%zu channels x %zu)\n", what.c_str(), channels, weights / channels);
  } else {
    std::printf("weights: %s, %zu channels\n", what.c_str(), channels);
  }
  std::printf(
      "MAC: %d-bit unsigned activations, %d-bit accumulator, ELP_BSD %s; energy table %s\n\n",
      cfg.design.activation_bits, cfg.design.accumulator_bits,
      cfg.design.elp_mac == ElpMacVariant::Parallel ? "parallel-term" : "term-serial",
      energy.table().name().c_str());
  std::printf("%-8s %-8s %5s %6s %14s %12s %12s %9s %8s %7s %6s %7s %8s  %s\n", "format", "kind",
              "bits", "levels", "range", "MAC avg pJ", "MAC worst pJ", "vs fixed8", "SQNR dB",
              "zeros", "terms", "invalid", "decode pJ", "MAC model");
  for (const auto& r : rows) {
    char range[32];
    std::snprintf(range, sizeof range, "[%d, %d]", r.min_level, r.max_level);
    std::printf(
        "%-8s %-8s %5d %6zu %14s %12.4f %12.4f %8.2fx %8.2f %6.1f%% %6.2f %7d %8.3f  %s, %s\n",
        r.name.c_str(), r.kind.c_str(), r.code_bits, r.levels, range, r.mac_energy_pj,
        r.mac_energy_worst_pj, r.energy_vs_fixed8, r.sqnr_db, 100.0 * r.zero_fraction, r.mean_terms,
        r.invalid_codes, r.decoder_pj, r.mac_energy_model.c_str(), r.mac_operands.c_str());
  }
  std::printf(
      "\nMAC avg pJ = one multiply-accumulate (multiplier or shifters/negation/adds, and the\n"
      "accumulator add) per operation, priced as a run prices it: per held weight code from the\n"
      "gate-level characterisation of the format's circuit where the energy table has one, else\n"
      "the structural model; %s (docs/energy.md, \"One MAC energy model\").\n"
      "MAC worst pJ = the format's most expensive level at reference operand statistics.\n"
      "invalid = code words that decode to nothing; decode pJ = the v2 code decoder, once per\n"
      "weight entering the PE array (not per MAC%s). v2 = level sets chosen for Laplace weights\n"
      "(docs/elp_bsd.md, section 7).\n",
      !workload_layer
          ? "on a bare tensor at reference operand statistics (the characterisation's reference\n"
            "streams); a workload's layer (--workload) is priced on its simulated operands"
          : "on the layer's simulated operands, the weight decoder included: the run's figure",
      !workload_layer ? "" : "; included in MAC avg pJ as the run charges it");
}

}  // namespace

int cmd_formats(const std::vector<std::string>& args) {
  CommonOptions common;
  std::string weights_file, workload, layer_name;
  bool json = false, list_levels = false;
  po::options_description desc("formats options");
  add_common_options(desc, common, false);
  desc.add_options()("weights", po::value<std::string>(&weights_file),
                     "float32 .npy weight tensor, first dimension = output channels, 1-D = one "
                     "channel (default: a seeded synthetic 64x3x3x64 Laplace tensor)")(
      "workload", po::value<std::string>(&workload),
      "measure a layer of this workload instead: its weights, and its MACs priced on its "
      "simulated operands as a run prices them")(
      "layer", po::value<std::string>(&layer_name),
      "with --workload: the conv or fc layer (default: the one with the most MACs)")(
      "json", po::bool_switch(&json), "print a JSON array, one object per format")(
      "levels", po::bool_switch(&list_levels),
      "print every ELP_BSD preset's exact level set and code width, then exit");
  po::variables_map vm;
  if (!parse_options("formats",
                     "[--weights W.npy | --workload NAME|FILE [--layer L]] [--json] [--config F] "
                     "[--set k=v]...",
                     desc, args, vm)) {
    return 0;
  }
  if (!workload.empty() && !weights_file.empty()) {
    throw UserError(field_error("--weights", "", "a tensor and a workload's layer both given",
                                weights_file, "either --weights or --workload"));
  }
  if (!layer_name.empty() && workload.empty()) {
    throw UserError(field_error("--layer", "", "a layer without a workload", layer_name,
                                "--workload with --layer"));
  }
  const SimConfig cfg = load_sim_config(common.config_file, common.overrides);
  if (list_levels) {
    print_levels();
    return 0;
  }
  const EnergyModel energy(EnergyTable::load(cfg.energy_table_path));

  std::vector<float> w;
  std::size_t channels = 0;
  std::string what;
  std::vector<FormatSurveyRow> rows;
  if (!workload.empty()) {
    rows = survey_workload_layer(cfg, energy, workload, layer_name, channels, what);
  } else if (!weights_file.empty()) {
    NpyArray a = read_npy(weights_file);
    if (a.shape.empty() || a.shape[0] <= 0 || a.data.empty()) {
      throw UserError(field_error(weights_file, "shape", "empty tensor", "", ">= 1 element"));
    }
    // First dimension = output channels; a 1-D tensor is one channel.
    channels = a.shape.size() == 1 ? 1 : static_cast<std::size_t>(a.shape[0]);
    w = std::move(a.data);
    what = weights_file;
  } else {
    w = synthetic_weights(cfg.seed, channels);
    what = "synthetic Laplace tensor (seed " + std::to_string(cfg.seed) + ")";
  }

  if (workload.empty()) rows = survey_formats(cfg, energy, w, channels, what);
  if (json) {
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& r : rows)
      arr.push_back(to_json(r));
    std::cout << arr.dump(2) << "\n";
    return 0;
  }
  print_survey(cfg, energy, rows, !workload.empty(), what, channels, w.size());
  return 0;
}

}  // namespace conloc
