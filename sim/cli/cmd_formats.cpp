#include <cstdio>
#include <iostream>

#include "modules/arith/elp_bsd_format.h"
#include "modules/arith/elp_lut_format.h"
#include "modules/common/error.h"
#include "sim/cli/options.h"
#include "sim/common/rng.h"
#include "sim/config/sim_config.h"
#include "sim/energy/energy_model.h"
#include "sim/report/format_survey.h"
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

}  // namespace

int cmd_formats(const std::vector<std::string>& args) {
  CommonOptions common;
  std::string weights_file;
  bool json = false, list_levels = false;
  po::options_description desc("formats options");
  add_common_options(desc, common, false);
  desc.add_options()("weights", po::value<std::string>(&weights_file),
                     "float32 .npy weight tensor, first dimension = output channels, 1-D = one "
                     "channel (default: a seeded synthetic 64x3x3x64 Laplace tensor)")(
      "json", po::bool_switch(&json), "print a JSON array, one object per format")(
      "levels", po::bool_switch(&list_levels),
      "print every ELP_BSD preset's exact level set and code width, then exit");
  po::variables_map vm;
  if (!parse_options("formats", "[--weights W.npy] [--json] [--config F] [--set k=v]...", desc,
                     args, vm)) {
    return 0;
  }
  const SimConfig cfg = load_sim_config(common.config_file, common.overrides);
  if (list_levels) {
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
    return 0;
  }
  const EnergyModel energy(EnergyTable::load(cfg.energy_table_path));

  std::vector<float> w;
  std::size_t channels = 0;
  std::string what;
  if (!weights_file.empty()) {
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

  const auto rows = survey_formats(cfg, energy, w, channels, what);
  if (json) {
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& r : rows)
      arr.push_back(to_json(r));
    std::cout << arr.dump(2) << "\n";
    return 0;
  }
  std::printf("weights: %s (%zu channels x %zu)\n", what.c_str(), channels, w.size() / channels);
  std::printf(
      "MAC: %d-bit unsigned activations, %d-bit accumulator, ELP_BSD %s; energy table %s\n\n",
      cfg.design.activation_bits, cfg.design.accumulator_bits,
      cfg.design.elp_mac == ElpMacVariant::Parallel ? "parallel-term" : "term-serial",
      energy.table().name().c_str());
  std::printf("%-8s %-8s %5s %6s %14s %12s %12s %9s %8s %7s %6s %7s %8s\n", "format", "kind",
              "bits", "levels", "range", "MAC avg pJ", "MAC worst pJ", "vs fixed8", "SQNR dB",
              "zeros", "terms", "invalid", "decode pJ");
  for (const auto& r : rows) {
    char range[32];
    std::snprintf(range, sizeof range, "[%d, %d]", r.min_level, r.max_level);
    std::printf("%-8s %-8s %5d %6zu %14s %12.4f %12.4f %8.2fx %8.2f %6.1f%% %6.2f %7d %8.3f\n",
                r.name.c_str(), r.kind.c_str(), r.code_bits, r.levels, range, r.mac_energy_pj,
                r.mac_energy_worst_pj, r.energy_vs_fixed8, r.sqnr_db, 100.0 * r.zero_fraction,
                r.mean_terms, r.invalid_codes, r.decoder_pj);
  }
  std::printf(
      "\nMAC pJ = arithmetic of one multiply-accumulate (multiplier or shifters/negation/adds, "
      "and\n"
      "the accumulator add), averaged over the tensor's weights, at the energy table's reference\n"
      "operand toggle rates (a run uses each layer's measured ones); see docs/energy.md. invalid "
      "=\n"
      "code words that decode to nothing; decode pJ = the v2 code decoder, once per weight\n"
      "entering the PE array (not per MAC). v2 = level sets chosen for Laplace weights\n"
      "(docs/elp_bsd.md, section 7).\n");
  return 0;
}

}  // namespace conloc
