#include "sim/report/format_survey.h"

#include <algorithm>
#include <cmath>

#include "modules/common/error.h"
#include "sim/energy/energy_cost.h"
#include "sim/quant/mac_factory.h"
#include "sim/report/columns.h"

namespace conloc {

const std::vector<int>& fixed_point_preset_bits() {
  static const std::vector<int> kBits = {3, 4, 5, 6, 7, 8};
  return kBits;
}

namespace {

FormatSurveyRow measure(const MacModel& mac, const SimConfig& cfg, const EnergyModel& energy,
                        const std::vector<float>& w, std::size_t channels,
                        const std::string& what) {
  const std::size_t per = w.size() / channels;
  const QuantizedTensor q = mac.quantizer().quantize(
      w.data(), channels, per, cfg.design.weight_scale, cfg.design.scale_search, what);
  FormatSurveyRow r;
  r.name = mac.name();
  r.kind = mac.kind();
  r.code_bits = mac.code_bits();
  r.levels = mac.quantizer().levels().size();
  r.min_level = mac.quantizer().levels().front();
  r.max_level = mac.quantizer().levels().back();
  r.sqnr_db = q.sqnr_db;
  r.mse = q.mse;
  // Energy is linear in the actions, so cost the summed actions once.
  MacActions total;
  std::size_t zeros = 0;
  double terms = 0;
  for (std::int32_t level : q.q) {
    const MacActions a = mac.actions(mac.encode(level));
    total += a;
    zeros += level == 0;
    terms += static_cast<double>(a.negates ? a.negates : (a.mults ? 1 : 0));
  }
  const double n = static_cast<double>(q.q.size());
  const Dataflow df = cfg.array.dataflow;
  r.mac_energy_pj = pe_mac_pj(energy, mac, total, df) / n;
  r.decoder_pj = energy.cells_pj(mac.weight_fetch_cells());
  for (std::uint32_t c = 0; c < (1u << mac.code_bits()); ++c) {
    try {
      mac.decode(c);
    } catch (const UserError&) {
      ++r.invalid_codes;
    }
  }
  r.zero_fraction = static_cast<double>(zeros) / n;
  r.mean_terms = terms / n;
  for (std::int32_t level : mac.quantizer().levels()) {
    r.mac_energy_worst_pj =
        std::max(r.mac_energy_worst_pj, pe_mac_pj(energy, mac, mac.actions(mac.encode(level)), df));
  }
  return r;
}

}  // namespace

std::vector<FormatSurveyRow> survey_formats(const SimConfig& cfg, const EnergyModel& energy,
                                            const std::vector<float>& weights, std::size_t channels,
                                            const std::string& what) {
  std::vector<FormatSurveyRow> rows;
  // Activations after ReLU are unsigned: the common case inside a CNN.
  DesignConfig d = cfg.design;
  for (int bits : fixed_point_preset_bits()) {
    d.fixed_weight_bits = bits;
    rows.push_back(measure(*make_mac_model(d, MacKind::FixedPoint, false), cfg, energy, weights,
                           channels, what));
  }
  std::vector<ElpBsdParams> elps = ElpBsdFormat::presets();
  if (cfg.design.elp.name == "custom") elps.push_back(cfg.design.elp);
  d.elp_v2.reset();
  for (const auto& p : elps) {
    d.elp = p;
    rows.push_back(
        measure(*make_mac_model(d, MacKind::ElpBsd, false), cfg, energy, weights, channels, what));
  }
  std::vector<ElpLutParams> v2s = ElpLutFormat::presets();
  if (cfg.design.elp_v2 && !ElpLutFormat::is_preset(cfg.design.elp_v2->name))
    v2s.push_back(*cfg.design.elp_v2);  // a preset with its terms or positions changed
  for (const auto& p : v2s) {
    d.elp_v2 = p;
    // A per-layer set is chosen from this tensor, as the compiler does for each layer.
    rows.push_back(measure(*make_layer_mac(d, MacKind::ElpBsd, false, weights.data(), channels,
                                           weights.size() / channels),
                           cfg, energy, weights, channels, what));
  }
  double fixed8 = 0.0;
  for (const auto& r : rows) {
    if (r.name == "fixed8") fixed8 = r.mac_energy_pj;
  }
  for (auto& r : rows)
    r.energy_vs_fixed8 = fixed8 > 0 ? r.mac_energy_pj / fixed8 : 0.0;
  return rows;
}

nlohmann::json to_json(const FormatSurveyRow& r) {
  return {{"name", r.name},
          {"kind", r.kind},
          {"code_bits", r.code_bits},
          {"levels", r.levels},
          {"min_level", r.min_level},
          {"max_level", r.max_level},
          {"mac_energy_pj", r.mac_energy_pj},
          {"mac_energy_worst_pj", r.mac_energy_worst_pj},
          {"energy_vs_fixed8", r.energy_vs_fixed8},
          {"sqnr_db", finite_or_null(r.sqnr_db)},
          {"mse", r.mse},
          {"zero_fraction", r.zero_fraction},
          {"mean_terms", r.mean_terms},
          {"invalid_codes", r.invalid_codes},
          {"decoder_pj_per_weight_fetch", r.decoder_pj}};
}

}  // namespace conloc
