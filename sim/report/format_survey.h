#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "modules/common/compiled_network.h"
#include "sim/config/sim_config.h"
#include "sim/energy/energy_model.h"
#include "sim/run/run_result.h"

namespace conloc {

// One weight format measured on one weight tensor.
struct FormatSurveyRow {
  std::string name;
  std::string kind;  // "fixed" or "elp_bsd"
  int code_bits = 0;
  std::size_t levels = 0;
  std::int32_t min_level = 0;
  std::int32_t max_level = 0;
  double mac_energy_pj = 0.0;        // per MAC operation, averaged over the tensor's weights
  double mac_energy_worst_pj = 0.0;  // most expensive level of the format, at reference operands
  double energy_vs_fixed8 = 0.0;  // mac_energy_pj / the 8-bit fixed-point MAC's on the same tensor
  double sqnr_db = 0.0;
  double mse = 0.0;
  double zero_fraction = 0.0;
  double mean_terms = 0.0;  // enabled ELP_BSD terms per weight (non-zero weights count 1 for fixed)
  int invalid_codes = 0;    // code words that decode to nothing
  double decoder_pj = 0.0;  // per weight entering the PE array (v2 code decoder), not per MAC
  // How the MAC energy was priced, as a run prices it (sim/energy/energy_cost.h LayerMacEnergy):
  // "characterised" where the table characterises the format's circuit and the array is
  // weight-stationary, else "structural"; on "simulated operands" (a workload's layer) or
  // "reference operands" (a bare weight tensor).
  std::string mac_energy_model, mac_operands;
};

// The formats `formats` surveys, as configurations: every fixed-point and ELP_BSD preset
// (fixed3..fixed8, elp4..elp8 with the configured MAC variant, elp3v2..elp8v2, elp3v2l..elp8v2l),
// plus the configuration's own ELP_BSD design when it is not a preset (a custom format, a changed
// v2 preset), each with the configuration's other design settings (activation and accumulator
// widths, scale choice, compensation).
std::vector<SimConfig> format_configs(const SimConfig& cfg);

// A bare weight tensor (channels x per channel, no activations): each format quantizes it and one
// MAC per weight is priced as a run prices a layer it has no operands for, at reference operand
// statistics (by the table's characterisation of the format's circuit where it has one, else by
// the structural model).
std::vector<FormatSurveyRow> survey_formats(const SimConfig& cfg, const EnergyModel& energy,
                                            const std::vector<float>& weights, std::size_t channels,
                                            const std::string& what);

// PE-array layer `layer` of a workload, from runs of the formats (`cfgs` = format_configs, `cns`
// their compiled networks, `runs` their results, in that order): the figures the runs report for
// that layer -- its weight SQNR and its MAC energy per operation on its simulated operands (the
// weight decoder included) -- so `formats --workload W --layer L` agrees with `run` by
// construction.
std::vector<FormatSurveyRow> survey_layer(const std::vector<SimConfig>& cfgs,
                                          const std::vector<const CompiledNetwork*>& cns,
                                          const std::vector<RunResult>& runs, int layer,
                                          const EnergyModel& energy);

nlohmann::json to_json(const FormatSurveyRow& r);

// Fixed-point presets surveyed next to the ELP_BSD ones.
const std::vector<int>& fixed_point_preset_bits();

}  // namespace conloc
