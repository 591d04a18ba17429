#include "sim/report/format_survey.h"

#include <algorithm>
#include <cmath>

#include "modules/base/error.h"
#include "sim/design/design_registry.h"
#include "sim/design/mac_factory.h"
#include "sim/energy/energy_cost.h"
#include "sim/energy/mac_characterisation.h"
#include "sim/report/columns.h"
#include "sim/rtl/mac_rtl.h"

namespace conloc {

const std::vector<int>& fixed_point_preset_bits() {
  static const std::vector<int> kBits = {3, 4, 5, 6, 7, 8};
  return kBits;
}

namespace {

// What a format is, whatever it is measured on: levels, range, invalid codes, the v2 decoder and
// the most expensive level at reference operands. `characterised`: the table's characterisation
// of its circuit (null: the structural model).
FormatSurveyRow describe(const MacModel& mac, const EnergyModel& energy, Dataflow df,
                         const MacCharacterisation::Design* characterised) {
  FormatSurveyRow r;
  r.name = mac.name();
  r.kind = mac.kind();
  r.code_bits = mac.code_bits();
  r.levels = mac.quantizer().levels().size();
  r.min_level = mac.quantizer().levels().front();
  r.max_level = mac.quantizer().levels().back();
  r.decoder_pj = energy.cells_pj(mac.weight_fetch_cells());
  for (std::uint32_t c = 0; c < (1u << mac.code_bits()); ++c) {
    try {
      mac.decode(c);
    } catch (const UserError&) {
      ++r.invalid_codes;
    }
  }
  if (characterised) check_keyed_like(*characterised, mac);
  for (std::int32_t level : mac.quantizer().levels()) {
    const std::uint32_t code = mac.encode(level);
    r.mac_energy_worst_pj =
        std::max(r.mac_energy_worst_pj,
                 characterised ? characterised->reference_pj(mac.energy_key(mac.pe_code(code)))
                               : pe_mac_pj(energy, mac, mac.actions(code), df));
  }
  r.mac_energy_model = characterised ? "characterised" : "structural";
  return r;
}

// Zero fraction and mean ELP_BSD terms of weights at these levels.
void weight_stats(const MacModel& mac, const std::vector<std::int32_t>& levels,
                  FormatSurveyRow& r) {
  std::size_t zeros = 0;
  double terms = 0;
  for (std::int32_t level : levels) {
    const MacActions a = mac.actions(mac.encode(level));
    zeros += level == 0;
    terms += static_cast<double>(a.negates ? a.negates : (a.mults ? 1 : 0));
  }
  const double n = std::max<double>(1.0, static_cast<double>(levels.size()));
  r.zero_fraction = static_cast<double>(zeros) / n;
  r.mean_terms = terms / n;
}

const MacCharacterisation::Design* characterisation_of(const SimConfig& fc,
                                                       const EnergyModel& energy) {
  return fc.array.dataflow == Dataflow::WeightStationary
             ? energy.table().characterised(mac_circuit_fnv1a64(fc))
             : nullptr;
}

void ratios_to_fixed8(std::vector<FormatSurveyRow>& rows) {
  double fixed8 = 0.0;
  for (const auto& r : rows) {
    if (r.name == "fixed8") fixed8 = r.mac_energy_pj;
  }
  for (auto& r : rows)
    r.energy_vs_fixed8 = fixed8 > 0 ? r.mac_energy_pj / fixed8 : 0.0;
}

}  // namespace

std::vector<SimConfig> format_configs(const SimConfig& cfg) {
  // A preset is the preset itself: the configuration without its design.elp.* and design.fixed.*
  // (which may change a preset), then the preset's settings; its other settings stay.
  ConfigInput base;
  base.document = cfg.resolved;
  base.document->at("design").erase("elp");
  base.document->at("design").erase("fixed");
  base.document_source = "formats";
  const bool serial = cfg.design.elp_mac == ElpMacVariant::TermSerial;
  std::vector<std::string> names;
  for (int bits : fixed_point_preset_bits())
    names.push_back("fixed" + std::to_string(bits));
  for (const auto& p : ElpBsdFormat::preset_names())
    names.push_back(p + (serial ? "-serial" : ""));
  for (const auto& v2 : ElpLutFormat::presets())
    names.push_back(v2.name);
  std::vector<SimConfig> out;
  for (const auto& n : names) {
    ConfigInput in = base;
    in.assignments = design_assignments(parse_design_spec(n, "formats"), "formats");
    out.push_back(load_sim_config(in));
  }
  // The configuration's own ELP_BSD design when it is not one of those.
  const SimConfig own = cfg.with({{"design.mac", "elp", "formats"}});
  const std::string own_label = design_label(own);
  if (std::none_of(out.begin(), out.end(), [&](const SimConfig& c) {
        return c.design.mac == MacKind::ElpBsd && design_label(c) == own_label &&
               c.resolved["design"]["elp"] == own.resolved["design"]["elp"];
      })) {
    out.push_back(own);
  }
  return out;
}

std::vector<FormatSurveyRow> survey_formats(const SimConfig& cfg, const EnergyModel& energy,
                                            const std::vector<float>& w, std::size_t channels,
                                            const std::string& what) {
  std::vector<FormatSurveyRow> rows;
  const std::size_t per = w.size() / channels;
  const Dataflow df = cfg.array.dataflow;
  for (const SimConfig& fc : format_configs(cfg)) {
    // Activations after ReLU are unsigned: the common case inside a CNN. A per-layer level set is
    // chosen from this tensor, as the compiler does for each layer.
    const auto mac = make_layer_mac(fc.design, fc.design.mac, false, w.data(), channels, per);
    const QuantizedTensor q = mac->quantizer().quantize(
        w.data(), channels, per, fc.design.weight_scale, fc.design.scale_search, what);
    const MacCharacterisation::Design* characterised = characterisation_of(fc, energy);
    FormatSurveyRow r = describe(*mac, energy, df, characterised);
    r.mac_operands = "reference operands";
    r.sqnr_db = q.sqnr_db;
    r.mse = q.mse;
    weight_stats(*mac, q.q, r);
    // Energy is linear in the actions: the structural model costs the summed actions once.
    const double n = static_cast<double>(q.q.size());
    if (characterised) {
      check_keyed_like(*characterised, *mac);
      double sum = 0;
      for (std::int32_t level : q.q)
        sum += characterised->reference_pj(mac->energy_key(mac->pe_code(mac->encode(level))));
      r.mac_energy_pj = sum / n;
    } else {
      MacActions total;
      for (std::int32_t level : q.q)
        total += mac->actions(mac->encode(level));
      r.mac_energy_pj = pe_mac_pj(energy, *mac, total, df) / n;
    }
    rows.push_back(std::move(r));
  }
  ratios_to_fixed8(rows);
  return rows;
}

std::vector<FormatSurveyRow> survey_layer(const std::vector<SimConfig>& cfgs,
                                          const std::vector<const CompiledNetwork*>& cns,
                                          const std::vector<RunResult>& runs, int layer,
                                          const EnergyModel& energy) {
  std::vector<FormatSurveyRow> rows;
  const auto li = static_cast<std::size_t>(layer);
  for (std::size_t i = 0; i < cfgs.size(); ++i) {
    const CompiledLayer& cl = cns[i]->layers.at(li);
    const LayerRow& lr = runs[i].rows.at(li);
    FormatSurveyRow r =
        describe(*cl.mac, energy, cfgs[i].array.dataflow, characterisation_of(cfgs[i], energy));
    r.mac_energy_model = lr.mac_energy_model;
    r.mac_operands = lr.mac_operands;
    r.sqnr_db = lr.weight_sqnr_db;
    r.mac_energy_pj = lr.macs > 0 ? lr.energy.mac / static_cast<double>(lr.macs) : 0.0;
    weight_stats(*cl.mac, std::vector<std::int32_t>(cl.wq.begin(), cl.wq.end()), r);
    rows.push_back(std::move(r));
  }
  ratios_to_fixed8(rows);
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
          {"decoder_pj_per_weight_fetch", r.decoder_pj},
          {"mac_energy_model", r.mac_energy_model},
          {"mac_operands", r.mac_operands}};
}

}  // namespace conloc
