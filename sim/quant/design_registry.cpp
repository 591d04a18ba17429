#include "sim/quant/design_registry.h"

#include <algorithm>

#include "modules/arith/elp_bsd_format.h"
#include "modules/arith/elp_lut_format.h"
#include "modules/common/error.h"
#include "sim/config/param_registry.h"

namespace conloc {

namespace {

struct DesignEntry {
  std::string name;
  std::vector<std::pair<std::string, nlohmann::json>> settings;
};

const std::vector<DesignEntry>& entries() {
  static const std::vector<DesignEntry> kEntries = [] {
    std::vector<DesignEntry> e = {{"elp", {{"design.mac", "elp"}}},
                                  {"fixed", {{"design.mac", "fixed"}}}};
    for (const auto& p : ElpBsdFormat::preset_names()) {
      e.push_back(
          {p, {{"design.mac", "elp"}, {"design.elp.format", p}, {"design.elp.mac", "parallel"}}});
      e.push_back(
          {p + "-serial",
           {{"design.mac", "elp"}, {"design.elp.format", p}, {"design.elp.mac", "serial"}}});
    }
    for (const auto& v2 : ElpLutFormat::presets())
      e.push_back({v2.name,
                   {{"design.mac", "elp"},
                    {"design.elp.format", v2.name},
                    {"design.elp.mac", "parallel"}}});
    for (int b = 2; b <= 16; ++b)
      e.push_back({"fixed" + std::to_string(b),
                   {{"design.mac", "fixed"}, {"design.fixed.weight_bits", b}}});
    return e;
  }();
  return kEntries;
}

}  // namespace

std::vector<std::string> design_names() {
  std::vector<std::string> n;
  for (const auto& e : entries())
    n.push_back(e.name);
  return n;
}

namespace {

// The design.* assignments of registry design `name`; an unknown name is a UserError naming
// `source` with the closest known name.
std::vector<ParamAssignment> design_assignments(const std::string& name,
                                                const std::string& source) {
  const auto& all = entries();
  const auto it =
      std::find_if(all.begin(), all.end(), [&](const DesignEntry& e) { return e.name == name; });
  if (it == all.end()) {
    std::string best = all.front().name;
    for (const auto& e : all) {
      if (edit_distance(name, e.name) < edit_distance(name, best)) best = e.name;
    }
    throw_field_error(source, "", "unknown design", "\"" + name + "\"",
                      "elp, fixed, elp4..elp8, elp4-serial..elp8-serial, elp3v2..elp8v2, "
                      "elp4v2l..elp6v2l or "
                      "fixed2..fixed16 "
                      "(did you mean " +
                          best + "?)");
  }
  std::vector<ParamAssignment> a;
  for (const auto& [key, value] : it->settings)
    a.push_back({key, value, source + " " + name});
  return a;
}

}  // namespace

SimConfig load_design_config(const std::optional<std::string>& file,
                             const std::vector<std::string>& overrides, const std::string& name,
                             const std::string& source) {
  ConfigInput in;
  in.file = file;
  in.overrides = overrides;
  in.assignments = design_assignments(name, source);
  return load_sim_config(in);
}

std::string design_label(const SimConfig& cfg) {
  const DesignConfig& d = cfg.design;
  if (d.mac == MacKind::FixedPoint) return "fixed" + std::to_string(d.fixed_weight_bits);
  return d.elp_name() + (d.elp_mac == ElpMacVariant::TermSerial ? "-serial" : "");
}

std::vector<std::string> default_comparison(const SimConfig& base) {
  std::vector<std::string> d = {"elp"};
  const std::string same_width = "fixed" + std::to_string(base.design.elp_code_bits());
  const std::string configured = "fixed" + std::to_string(base.design.fixed_weight_bits);
  d.push_back(same_width);
  if (configured != same_width) d.push_back(configured);
  return d;
}

}  // namespace conloc
