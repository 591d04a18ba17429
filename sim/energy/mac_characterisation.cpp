#include "sim/energy/mac_characterisation.h"

#include <algorithm>
#include <cmath>

#include "modules/arith/mac_model.h"
#include "modules/base/error.h"
#include "sim/common/file_io.h"
#include "sim/config/param_registry.h"
#include "sim/energy/operand_stream.h"

namespace conloc {

MacCharacterisation MacCharacterisation::load(const std::string& path) {
  const nlohmann::json doc = parse_json_text(read_text_file(path), path);
  MacCharacterisation c;
  c.file_ = path;
  if (!doc.is_object()) {
    throw_field_error(path, "", "top level is not a JSON object", json_brief(doc),
                      "an object with name, columns, designs");
  }
  static const char* const kKeys[] = {
      "name",    "description", "command", "reference", "fj_per_transistor_toggle",
      "columns", "designs"};
  for (auto it = doc.begin(); it != doc.end(); ++it) {
    if (std::find(std::begin(kKeys), std::end(kKeys), it.key()) == std::end(kKeys)) {
      throw_field_error(path, it.key(), "unknown key", "\"" + it.key() + "\"",
                        "one of name, description, command, reference, "
                        "fj_per_transistor_toggle, columns, designs");
    }
  }
  if (!doc.contains("name") || !doc["name"].is_string())
    throw_field_error(path, "name", "missing or not a string", "", "a string");
  c.name_ = doc["name"].get<std::string>();
  // The column order is the meaning of every row: refuse a file written for another one.
  const nlohmann::json columns = {"code",
                                  "pj_per_activation_toggle",
                                  "pj_per_psum_toggle",
                                  "pj_per_product_toggle",
                                  "pj_per_operation",
                                  "reference_activation_toggles",
                                  "reference_psum_toggles",
                                  "reference_product_toggles"};
  if (!doc.contains("columns") || doc["columns"] != columns) {
    throw_field_error(path, "columns", "missing or not the expected columns",
                      doc.contains("columns") ? json_brief(doc["columns"]) : "", columns.dump());
  }
  if (!doc.contains("designs") || !doc["designs"].is_object() || doc["designs"].empty()) {
    throw_field_error(path, "designs", "missing, not an object or empty", "",
                      "an object of design name -> {verilog_fnv1a64, codes}");
  }
  for (auto it = doc["designs"].begin(); it != doc["designs"].end(); ++it) {
    const std::string at = "designs." + it.key();
    const nlohmann::json& d = it.value();
    const bool keyed = d.is_object() && d.contains("keyed_by");
    if (!d.is_object() || d.size() != (keyed ? 3u : 2u) || !d.contains("verilog_fnv1a64") ||
        !d.contains("codes")) {
      throw_field_error(path, at, "not an object of verilog_fnv1a64, codes and keyed_by",
                        json_brief(d),
                        "{\"verilog_fnv1a64\": ..., \"codes\": [...]} and optionally "
                        "\"keyed_by\": \"code\" or \"level\"");
    }
    if (keyed && d["keyed_by"] != "code" && d["keyed_by"] != "level") {
      throw_field_error(path, at + ".keyed_by", "not a key kind", json_brief(d["keyed_by"]),
                        "\"code\" or \"level\"");
    }
    const nlohmann::json& h = d["verilog_fnv1a64"];
    if (!h.is_string() || h.get<std::string>().size() != 16 ||
        h.get<std::string>().find_first_not_of("0123456789abcdef") != std::string::npos) {
      throw_field_error(path, at + ".verilog_fnv1a64", "not a 64-bit hash", json_brief(h),
                        "16 lower-case hex digits");
    }
    if (!d["codes"].is_array() || d["codes"].empty()) {
      throw_field_error(path, at + ".codes", "not a non-empty array", json_brief(d["codes"]),
                        "[[code, pJ/activation, psum and product toggle, pJ/operation, reference "
                        "activation, psum and product toggles], ...]");
    }
    Design design;
    design.name = it.key();
    design.file = path;
    if (keyed) design.keyed_by = d["keyed_by"].get<std::string>();
    for (std::size_t i = 0; i < d["codes"].size(); ++i) {
      const nlohmann::json& row = d["codes"][i];
      const std::string rat = at + ".codes[" + std::to_string(i) + "]";
      if (!row.is_array() || row.size() != 8 || !row[0].is_number_unsigned() ||
          row[0].get<std::uint64_t>() > 0xFFFF) {
        throw_field_error(path, rat,
                          "not a row of a code, four coefficients and three reference toggles",
                          json_brief(row), "[code 0..65535, a, p, q, per operation, ta, tp, tq]");
      }
      double v8[7];
      for (int j = 0; j < 7; ++j) {
        const nlohmann::json& v = row[static_cast<std::size_t>(j + 1)];
        if (!v.is_number() || !std::isfinite(v.get<double>()) || v.get<double>() < 0) {
          throw_field_error(path, rat + "[" + std::to_string(j + 1) + "]",
                            "not a finite number >= 0", json_brief(v),
                            j < 3   ? "pJ per toggled bit"
                            : j < 4 ? "pJ per operation"
                                    : "mean toggled bits over the reference");
        }
        v8[j] = v.get<double>();
      }
      const std::array<double, 4> k = {v8[0], v8[1], v8[2], v8[3]};
      const std::uint32_t code = row[0].get<std::uint32_t>();
      if (design.find(code)) {
        throw_field_error(path, rat, "duplicate code", json_brief(row[0]), "each code once");
      }
      if (code >= design.by_code.size()) {
        design.by_code.resize(code + 1);
        design.reference.resize(code + 1);
        design.has.resize(code + 1, 0);
      }
      design.by_code[code] = k;
      design.reference[code] = {v8[4], v8[5], v8[6]};
      design.has[code] = 1;
    }
    if (!c.by_hash_.emplace(h.get<std::string>(), std::move(design)).second) {
      throw_field_error(path, at + ".verilog_fnv1a64", "the same hash as another design",
                        json_brief(h), "one design per generated circuit");
    }
  }
  return c;
}

const MacCharacterisation::Design* MacCharacterisation::find(const std::string& fnv1a64) const {
  auto it = by_hash_.find(fnv1a64);
  return it == by_hash_.end() ? nullptr : &it->second;
}

void MacCharacterisation::Design::missing(std::uint32_t key) const {
  // A level key is 2|v| + (v < 0): say the level.
  const std::string what =
      keyed_by == "level"
          ? std::to_string(key & 1u ? -static_cast<std::int64_t>(key / 2) : key / 2) + " (key " +
                std::to_string(key) + ")"
          : std::to_string(key);
  throw_field_error(
      file, "designs." + name + ".codes", "no row for a " + keyed_by + " the layer holds", what,
      keyed_by == "level" ? "every level the decoder can hold" : "every valid code of the design");
}

double MacCharacterisation::Design::reference_pj(std::uint32_t code) const {
  const std::array<double, 4>* k = find(code);
  if (!k) missing(code);
  const OperandToggles& t = reference[code];
  return (*k)[0] * t.activation + (*k)[1] * t.psum + (*k)[2] * t.product + (*k)[3];
}

void check_keyed_like(const MacCharacterisation::Design& d, const MacModel& mac) {
  if (d.keyed_by != mac.energy_keyed_by()) {
    throw_field_error(d.file, "designs." + d.name + ".keyed_by",
                      "rows keyed otherwise than the MAC", "\"" + d.keyed_by + "\"",
                      std::string("\"") + mac.energy_keyed_by() + "\"");
  }
}

double characterised_reference_mac_pj(const MacCharacterisation::Design& d, const MacModel& mac,
                                      const std::vector<std::uint64_t>& code_uses,
                                      std::uint64_t ops_per_weight) {
  check_keyed_like(d, mac);
  double pj = 0;
  for (std::size_t c = 0; c < code_uses.size(); ++c) {
    if (code_uses[c] == 0) continue;
    pj += static_cast<double>(code_uses[c]) *
          d.reference_pj(mac.energy_key(static_cast<std::uint32_t>(c)));
  }
  return pj * static_cast<double>(ops_per_weight);
}

double characterised_mac_pj(const MacCharacterisation::Design& d, const MacModel& mac,
                            const std::vector<PeToggles>& pes, const MacActions& a) {
  check_keyed_like(d, mac);
  auto pj = [&](std::uint32_t pe_code, const OperandToggles& t) {
    const std::uint32_t code = mac.energy_key(pe_code);
    const std::array<double, 4>* k = d.find(code);
    if (!k) d.missing(code);
    return (*k)[0] * t.activation + (*k)[1] * t.psum + (*k)[2] * t.product + (*k)[3];
  };
  if (pes.empty()) return 0.0;
  double sum[2] = {0, 0}, n[2] = {0, 0};  // [0] zero weights, [1] the others
  for (const PeToggles& pe : pes) {
    const int s = pe.zero_weight ? 0 : 1;
    sum[s] += pj(pe.code, pe.toggles);
    n[s] += 1;
  }
  double zero_pj = n[0] > 0 ? sum[0] / n[0] : 0.0;
  if (n[0] == 0) {
    const OperandToggles mean = mean_toggles(pes);
    zero_pj = pj(mac.pe_code(mac.encode(0)), {mean.activation, mean.psum, 0.0});
  }
  const double other_pj = n[1] > 0 ? sum[1] / n[1] : zero_pj;
  const double gated = static_cast<double>(a.gated);
  return gated * zero_pj + (static_cast<double>(a.ops) - gated) * other_pj;
}

}  // namespace conloc
