#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "sim/config/sim_config.h"
#include "sim/energy/energy_model.h"

namespace conloc {

// One weight format measured on one weight tensor.
struct FormatSurveyRow {
  std::string name;
  std::string kind;  // "fixed" or "elp_bsd"
  int code_bits = 0;
  std::size_t levels = 0;
  std::int32_t min_level = 0;
  std::int32_t max_level = 0;
  double mac_energy_pj = 0.0;        // average over the tensor's weights
  double mac_energy_worst_pj = 0.0;  // most expensive level of the format
  double energy_vs_fixed8 = 0.0;  // mac_energy_pj / the 8-bit fixed-point MAC's on the same tensor
  double sqnr_db = 0.0;
  double mse = 0.0;
  double zero_fraction = 0.0;
  double mean_terms = 0.0;  // enabled ELP_BSD terms per weight (non-zero weights count 1 for fixed)
  int invalid_codes = 0;    // code words that decode to nothing
  double decoder_pj = 0.0;  // per weight entering the PE array (v2 code decoder), not per MAC
};

// Quantizes `weights` (channels x per_channel) with every fixed-point and ELP_BSD preset (plus the
// config's custom ELP_BSD format, if any) and costs one MAC per weight with the energy model.
std::vector<FormatSurveyRow> survey_formats(const SimConfig& cfg, const EnergyModel& energy,
                                            const std::vector<float>& weights, std::size_t channels,
                                            const std::string& what);

nlohmann::json to_json(const FormatSurveyRow& r);

// Fixed-point presets surveyed next to the ELP_BSD ones.
const std::vector<int>& fixed_point_preset_bits();

}  // namespace conloc
