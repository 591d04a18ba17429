#include "sim/design/design_registry.h"

#include <algorithm>

#include "modules/arith/elp_bsd_format.h"
#include "modules/arith/elp_lut_format.h"
#include "modules/base/error.h"
#include "sim/common/text.h"
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

// The registry entry of `name`; an unknown name is a UserError naming `source` with the closest
// known name.
const DesignEntry& entry(const std::string& name, const std::string& source) {
  const auto& all = entries();
  const auto it =
      std::find_if(all.begin(), all.end(), [&](const DesignEntry& e) { return e.name == name; });
  if (it == all.end()) {
    std::string best = all.front().name;
    for (const auto& e : all) {
      if (edit_distance(name, e.name) < edit_distance(name, best)) best = e.name;
    }
    // The families listed from the registry itself, so a new preset is named here too.
    std::string elp, v2;
    for (const auto& p : ElpBsdFormat::preset_names())
      elp += (elp.empty() ? "" : ", ") + p;
    for (const auto& p : ElpLutFormat::presets())
      v2 += p.name + ", ";
    throw_field_error(source, "", "unknown design", "\"" + name + "\"",
                      "elp, fixed, " + elp + " (each also as NAME-serial), " + v2 +
                          "or fixed2..fixed16, each optionally with @design.KEY=VALUE settings "
                          "(did you mean " +
                          best + "?)");
  }
  return *it;
}

}  // namespace

std::vector<std::string> split_design_list(const std::string& text) {
  std::vector<std::string> out;
  for (const std::string& item : split_list(text)) {
    const bool continues =
        item.find('=') != std::string::npos && item.find('@') == std::string::npos && !out.empty();
    if (continues) {
      out.back() += "," + item;
    } else {
      out.push_back(item);
    }
  }
  return out;
}

DesignSpec parse_design_spec(const std::string& text, const std::string& source) {
  DesignSpec d;
  d.text = text;
  std::size_t at = text.find('@');
  d.name = text.substr(0, at);
  entry(d.name, source);
  while (at != std::string::npos) {
    const std::size_t next = text.find('@', at + 1);
    const std::string part = text.substr(at + 1, next == std::string::npos ? next : next - at - 1);
    const std::size_t eq = part.find('=');
    const std::string key = part.substr(0, eq);
    // A design is its datapath (design.*) and how it schedules a network (mapping.*, e.g.
    // mapping.fusion), so `compare` can set either per design; the array and memories are shared.
    const bool design_key = key.rfind("design.", 0) == 0 && key != "design.mac";
    if (eq == std::string::npos || (!design_key && key.rfind("mapping.", 0) != 0)) {
      throw_field_error(source, "", "not a design setting", "\"@" + part + "\" in \"" + text + "\"",
                        "@design.KEY=VALUE or @mapping.KEY=VALUE (a design.* parameter other than "
                        "design.mac, which the design's name chooses, or a mapping.* parameter)");
    }
    // The value as --set reads it: JSON where it parses, else a bare string.
    const std::string value = part.substr(eq + 1);
    nlohmann::json v = nlohmann::json::parse(value, nullptr, false);
    if (v.is_discarded()) v = value;
    d.settings.emplace_back(key, std::move(v));
    at = next;
  }
  return d;
}

std::vector<ParamAssignment> design_assignments(const DesignSpec& d, const std::string& source) {
  std::vector<ParamAssignment> a;
  for (const auto& [key, value] : entry(d.name, source).settings)
    a.push_back({key, value, source + " " + d.name});
  for (const auto& [key, value] : d.settings)
    a.push_back({key, value, source + " " + d.text});
  return a;
}

void check_design_settings(const DesignSpec& d, const SimConfig& cfg, const std::string& source) {
  const bool fixed = cfg.design.mac == MacKind::FixedPoint;
  for (const auto& [key, value] : d.settings) {
    const std::string other = fixed ? "design.elp." : "design.fixed.";
    if (key.rfind(other, 0) == 0) {
      throw_field_error(source, "", "a setting that does not apply to this design",
                        "\"" + key + "\" in \"" + d.text + "\"",
                        std::string("a design.* setting of ") +
                            (fixed ? "a fixed-point design (not design.elp.*)"
                                   : "an ELP_BSD design (not design.fixed.*)"));
    }
  }
}

SimConfig load_design_config(const std::optional<std::string>& file,
                             const std::vector<std::string>& overrides, const std::string& spec,
                             const std::string& source) {
  const DesignSpec d = parse_design_spec(spec, source);
  ConfigInput in;
  in.file = file;
  in.overrides = overrides;
  in.assignments = design_assignments(d, source);
  SimConfig cfg = load_sim_config(in);
  check_design_settings(d, cfg, source);
  return cfg;
}

std::string design_label(const SimConfig& cfg) {
  const DesignConfig& d = cfg.design;
  if (d.mac == MacKind::FixedPoint) return "fixed" + std::to_string(d.fixed_weight_bits);
  return d.elp_name() + (d.elp_mac == ElpMacVariant::TermSerial ? "-serial" : "");
}

std::string design_label(const SimConfig& cfg, const DesignSpec& d) {
  const std::size_t at = d.text.find('@');
  return design_label(cfg) + (at == std::string::npos ? "" : d.text.substr(at));
}

std::string design_folder(const std::string& label) {
  std::string f;
  for (const char c : label)
    f += c == '%' ? "%25" : c == '/' ? "%2F" : std::string(1, c);
  return f;
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
