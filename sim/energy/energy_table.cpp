#include "sim/energy/energy_table.h"

#include <vector>

#include "modules/common/error.h"
#include "sim/common/file_io.h"
#include "sim/config/param_registry.h"

namespace conloc {

namespace {

struct Required {
  const char* id;
  const char* unit;
  bool needs_bits;
  bool needs_capacity;
};

// The constants the energy model consumes. Widths and capacities are read from the table, so a
// table may anchor its adders at 16 and 64 bits if that is what its source measured.
const std::vector<Required>& required_constants() {
  static const std::vector<Required> kRequired = {
      {"add_8b", "pJ", true, false},
      {"add_32b", "pJ", true, false},
      {"mult_8b", "pJ", true, false},
      {"mult_32b", "pJ", true, false},
      {"sram_read_64b_8kib", "pJ", true, true},
      {"sram_read_64b_32kib", "pJ", true, true},
      {"sram_read_64b_1mib", "pJ", true, true},
      {"sram_write_to_read", "ratio", false, false},
      {"dram_per_bit", "pJ/bit", false, false},
      {"mux2_to_fa", "ratio", false, false},
      {"xor2_to_fa", "ratio", false, false},
      {"and2_to_fa", "ratio", false, false},
      {"dff_to_fa", "ratio", false, false},
  };
  return kRequired;
}

}  // namespace

EnergyTable EnergyTable::load(const std::string& path) {
  return from_json(parse_json_text(read_text_file(path), path), path);
}

EnergyTable EnergyTable::from_json(const nlohmann::json& doc, const std::string& source) {
  EnergyTable t;
  t.path_ = source;
  if (!doc.is_object()) {
    throw_field_error(source, "", "top level is not a JSON object", json_brief(doc),
                      "an object with name, node_nm, constants");
  }
  for (auto it = doc.begin(); it != doc.end(); ++it) {
    if (it.key() != "name" && it.key() != "node_nm" && it.key() != "description" &&
        it.key() != "constants") {
      throw_field_error(source, it.key(), "unknown key", "\"" + it.key() + "\"",
                        "one of name, node_nm, description, constants");
    }
  }
  if (!doc.contains("name")) throw_field_error(source, "name", "missing required field");
  if (!doc["name"].is_string()) {
    throw_field_error(source, "name", "wrong type", json_brief(doc["name"]), "a string");
  }
  t.name_ = doc["name"].get<std::string>();
  if (!doc.contains("node_nm")) throw_field_error(source, "node_nm", "missing required field");
  if (!doc["node_nm"].is_number_integer() || doc["node_nm"].get<int>() <= 0) {
    throw_field_error(source, "node_nm", "wrong type", json_brief(doc["node_nm"]),
                      "a positive integer (nm)");
  }
  t.node_nm_ = doc["node_nm"].get<int>();
  if (!doc.contains("constants")) throw_field_error(source, "constants", "missing required field");
  const auto& cs = doc["constants"];
  if (!cs.is_object()) {
    throw_field_error(source, "constants", "wrong type", json_brief(cs), "an object");
  }
  for (auto it = cs.begin(); it != cs.end(); ++it) {
    bool known = false;
    for (const auto& r : required_constants())
      known = known || it.key() == r.id;
    if (!known) {
      std::string ids;
      for (const auto& r : required_constants())
        ids += (ids.empty() ? "" : ", ") + std::string(r.id);
      throw_field_error(source, "constants." + it.key(), "unknown constant", "\"" + it.key() + "\"",
                        "one of " + ids);
    }
  }
  for (const auto& r : required_constants()) {
    const std::string path = std::string("constants.") + r.id;
    if (!cs.contains(r.id)) throw_field_error(source, path, "missing required constant");
    const auto& c = cs[r.id];
    if (!c.is_object()) {
      throw_field_error(source, path, "wrong type", json_brief(c),
                        "an object with value, unit, source, node_nm");
    }
    for (auto it = c.begin(); it != c.end(); ++it) {
      const auto& k = it.key();
      if (k != "value" && k != "unit" && k != "source" && k != "node_nm" && k != "bits" &&
          k != "capacity_kib" && k != "note") {
        throw_field_error(source, path + "." + k, "unknown key", "\"" + k + "\"",
                          "one of value, unit, source, node_nm, bits, capacity_kib, note");
      }
    }
    EnergyConstant e;
    if (!c.contains("value")) throw_field_error(source, path + ".value", "missing required field");
    if (!c["value"].is_number() || !(c["value"].get<double>() > 0.0)) {
      throw_field_error(source, path + ".value", "not a positive number", json_brief(c["value"]),
                        "a number > 0");
    }
    e.value = c["value"].get<double>();
    if (!c.contains("unit")) throw_field_error(source, path + ".unit", "missing required field");
    if (!c["unit"].is_string() || c["unit"].get<std::string>() != r.unit) {
      throw_field_error(source, path + ".unit", "wrong unit", json_brief(c["unit"]),
                        std::string("\"") + r.unit + "\"");
    }
    e.unit = r.unit;
    if (!c.contains("source"))
      throw_field_error(source, path + ".source", "missing required field");
    if (!c["source"].is_string() || c["source"].get<std::string>().empty()) {
      throw_field_error(source, path + ".source", "wrong type", json_brief(c["source"]),
                        "a non-empty string naming where the value comes from");
    }
    e.source = c["source"].get<std::string>();
    if (!c.contains("node_nm"))
      throw_field_error(source, path + ".node_nm", "missing required field");
    if (!c["node_nm"].is_number_integer() || c["node_nm"].get<int>() <= 0) {
      throw_field_error(source, path + ".node_nm", "wrong type", json_brief(c["node_nm"]),
                        "a positive integer (nm)");
    }
    e.node_nm = c["node_nm"].get<int>();
    if (r.needs_bits) {
      if (!c.contains("bits")) throw_field_error(source, path + ".bits", "missing required field");
      if (!c["bits"].is_number_integer() || c["bits"].get<int>() < 1 ||
          c["bits"].get<int>() > 256) {
        throw_field_error(source, path + ".bits", "out of range", json_brief(c["bits"]),
                          "integer in [1, 256]");
      }
      e.bits = c["bits"].get<int>();
    }
    if (r.needs_capacity) {
      if (!c.contains("capacity_kib")) {
        throw_field_error(source, path + ".capacity_kib", "missing required field");
      }
      if (!c["capacity_kib"].is_number() || !(c["capacity_kib"].get<double>() > 0.0)) {
        throw_field_error(source, path + ".capacity_kib", "not a positive number",
                          json_brief(c["capacity_kib"]), "a number > 0 (KiB)");
      }
      e.capacity_kib = c["capacity_kib"].get<double>();
    }
    t.constants_[r.id] = e;
  }
  return t;
}

const EnergyConstant& EnergyTable::at(const std::string& id) const {
  auto it = constants_.find(id);
  if (it == constants_.end()) throw InternalError("energy table: no constant " + id);
  return it->second;
}

nlohmann::json EnergyTable::provenance() const {
  nlohmann::json sources = nlohmann::json::object();
  for (const auto& [id, c] : constants_)
    sources[id] = c.source;
  return {{"name", name_}, {"path", path_}, {"node_nm", node_nm_}, {"sources", sources}};
}

}  // namespace conloc
