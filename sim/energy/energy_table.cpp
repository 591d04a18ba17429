#include "sim/energy/energy_table.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <sstream>
#include <vector>

#include "modules/base/error.h"
#include "sim/common/file_io.h"
#include "sim/config/param_registry.h"

namespace conloc {

namespace {

struct Required {
  const char* id;
  const char* unit;
  bool needs_bits;
  bool needs_capacity;
  bool zero_ok = false;  // an activity factor: 0 = the cells never switch (not modelled)
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
      {"activity_adder", "ratio", false, false, true},
      {"activity_mult", "ratio", false, false, true},
      {"activity_mux2", "ratio", false, false, true},
      {"activity_xor2", "ratio", false, false, true},
      {"activity_and2", "ratio", false, false, true},
      {"activity_dff", "ratio", false, false, true},
      {"activity_psum_pass", "ratio", false, false, true},
      {"activity_acc_psum", "ratio", false, false, true},
      {"activity_acc_product", "ratio", false, false, true},
      {"activity_term_pass", "ratio", false, false, true},
      {"activity_serial_switch", "ratio", false, false, true},
      // The operand toggle rates (bits per operation) at which the activity factors hold; a layer
      // with measured rates scales them by measured / these. 0: the activity does not follow
      // data.
      {"toggle_activation", "bits", false, false, true},
      {"toggle_psum", "bits", false, false, true},
      {"toggle_product", "bits", false, false, true},
  };
  return kRequired;
}

}  // namespace

namespace {

// "sram_table": {"file": CSV relative to the table, "transistor_type": "itrs-hp" | "itrs-lop",
// "word_bits": 8..256 (a width of the table), "source": "..."}; the CSV's rows at the table's node,
// that transistor type, one bank and that width.
SramTable parse_sram_table(const nlohmann::json& j, const std::string& source, int node_nm) {
  const std::string at = "sram_table";
  if (!j.is_object()) throw_field_error(source, at, "wrong type", json_brief(j), "an object");
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (it.key() != "file" && it.key() != "transistor_type" && it.key() != "word_bits" &&
        it.key() != "source" && it.key() != "leakage_transistor_type") {
      throw_field_error(source, at + "." + it.key(), "unknown key", "\"" + it.key() + "\"",
                        "one of file, transistor_type, word_bits, source, "
                        "leakage_transistor_type");
    }
  }
  auto str = [&](const char* k) {
    if (!j.contains(k) || !j[k].is_string() || j[k].get<std::string>().empty()) {
      throw_field_error(source, at + "." + k, "missing or not a string",
                        j.contains(k) ? json_brief(j[k]) : "", "a string");
    }
    return j[k].get<std::string>();
  };
  SramTable t;
  t.file = (std::filesystem::path(source).parent_path() / str("file")).string();
  t.source = str("source");
  t.transistor_type = str("transistor_type");
  if (j.contains("leakage_transistor_type"))
    t.leakage_transistor_type = str("leakage_transistor_type");
  std::map<double, double> leak;  // capacity -> mW of the leakage type's rows
  if (!j.contains("word_bits") || !j["word_bits"].is_number_integer()) {
    throw_field_error(source, at + ".word_bits", "missing or not an integer", "", "8..256");
  }
  t.word_bits = j["word_bits"].get<int>();
  std::istringstream in(read_text_file(t.file));
  std::string line;
  std::getline(in, line);  // header
  const std::string expect =
      "tech_nm,capacity_bytes,width_bits,banks,read_pj,write_pj,leakage_mw,area_mm2,access_ns,"
      "cycle_ns,transistor_type";
  if (line != expect)
    throw_field_error(t.file, "line 1", "not a CACTI SRAM table header", line, expect);
  for (int no = 2; std::getline(in, line); ++no) {
    if (line.empty()) continue;
    std::vector<std::string> f;
    std::stringstream ss(line);
    for (std::string x; std::getline(ss, x, ',');)
      f.push_back(x);
    if (f.size() != 11) {
      throw_field_error(t.file, "line " + std::to_string(no), "wrong number of fields",
                        std::to_string(f.size()), "11");
    }
    double v[10];
    for (int i = 0; i < 10; ++i) {
      try {
        std::size_t used = 0;
        v[i] = std::stod(f[static_cast<std::size_t>(i)], &used);
        if (used != f[static_cast<std::size_t>(i)].size() || !std::isfinite(v[i]) || v[i] < 0)
          throw 0;
      } catch (...) {
        throw_field_error(
            t.file, "line " + std::to_string(no) + ": column " + std::to_string(i + 1),
            "not a non-negative number", "\"" + f[static_cast<std::size_t>(i)] + "\"");
      }
    }
    if (static_cast<int>(v[0]) != node_nm || static_cast<int>(v[3]) != 1) continue;
    if (f[10] == t.transistor_type)
      t.by_width[static_cast<int>(v[2])].push_back({v[1], v[4], v[5], 0.0});
    if (static_cast<int>(v[2]) != t.word_bits) continue;
    if (f[10] == t.leakage_transistor_type) leak[v[1]] = v[6];
    if (f[10] == t.transistor_type) t.rows.push_back({v[1], v[4], v[5], 0.0});
  }
  auto by_capacity = [](const SramTable::Row& a, const SramTable::Row& b) {
    return a.capacity_bytes < b.capacity_bytes;
  };
  std::sort(t.rows.begin(), t.rows.end(), by_capacity);
  for (auto it = t.by_width.begin(); it != t.by_width.end();) {
    std::sort(it->second.begin(), it->second.end(), by_capacity);
    it = it->second.size() < 2 ? t.by_width.erase(it) : std::next(it);  // needs two to interpolate
  }
  for (auto& r : t.rows) {
    if (t.leakage_transistor_type.empty()) break;
    const auto it = leak.find(r.capacity_bytes);
    if (it == leak.end()) {
      throw_field_error(
          source, at + ".leakage_transistor_type", "no row for a capacity",
          t.leakage_transistor_type + " at " + std::to_string(r.capacity_bytes) + " bytes",
          "a transistor type with a row for every capacity of " + t.transistor_type);
    }
    r.leakage_mw = it->second;
  }
  if (t.rows.size() < 2) {
    throw_field_error(source, at, "the CACTI table has no rows for this node, width and type",
                      std::to_string(node_nm) + " nm, " + std::to_string(t.word_bits) + " bits, " +
                          t.transistor_type,
                      "a node, width and transistor type the table covers (" + t.file + ")");
  }
  return t;
}

}  // namespace

EnergyTable EnergyTable::load(const std::string& path) {
  return from_json(parse_json_text(read_text_file(path), path), path);
}

namespace {

// One constant of an energy table, `c` at JSON path `path`, checked against what `r` requires.
EnergyConstant read_constant(const nlohmann::json& c, const Required& r, const std::string& source,
                             const std::string& path) {
  EnergyConstant e;
  if (!c.contains("value")) throw_field_error(source, path + ".value", "missing required field");
  if (!c["value"].is_number() ||
      !(c["value"].get<double>() > 0.0 || (r.zero_ok && c["value"].get<double>() == 0.0))) {
    throw_field_error(source, path + ".value",
                      r.zero_ok ? "not a non-negative number" : "not a positive number",
                      json_brief(c["value"]), r.zero_ok ? "a number >= 0" : "a number > 0");
  }
  e.value = c["value"].get<double>();
  if (!c.contains("unit")) throw_field_error(source, path + ".unit", "missing required field");
  if (!c["unit"].is_string() || c["unit"].get<std::string>() != r.unit) {
    throw_field_error(source, path + ".unit", "wrong unit", json_brief(c["unit"]),
                      std::string("\"") + r.unit + "\"");
  }
  e.unit = r.unit;
  if (!c.contains("source")) throw_field_error(source, path + ".source", "missing required field");
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
    if (!c["bits"].is_number_integer() || c["bits"].get<int>() < 1 || c["bits"].get<int>() > 256) {
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
  return e;
}

}  // namespace

EnergyTable EnergyTable::from_json(const nlohmann::json& doc, const std::string& source) {
  EnergyTable t;
  t.path_ = source;
  if (!doc.is_object()) {
    throw_field_error(source, "", "top level is not a JSON object", json_brief(doc),
                      "an object with name, node_nm, constants");
  }
  for (auto it = doc.begin(); it != doc.end(); ++it) {
    if (it.key() != "name" && it.key() != "node_nm" && it.key() != "description" &&
        it.key() != "constants" && it.key() != "sram_table" && it.key() != "mac_characterisation") {
      throw_field_error(source, it.key(), "unknown key", "\"" + it.key() + "\"",
                        "one of name, node_nm, description, constants, sram_table, "
                        "mac_characterisation");
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
    const EnergyConstant e = read_constant(c, r, source, path);
    t.constants_[r.id] = e;
  }
  if (doc.contains("sram_table"))
    t.sram_table_ = parse_sram_table(doc["sram_table"], source, t.node_nm_);
  if (doc.contains("mac_characterisation")) {
    const auto& m = doc["mac_characterisation"];
    if (!m.is_object() || m.size() != 1 || !m.contains("file") || !m["file"].is_string() ||
        m["file"].get<std::string>().empty()) {
      throw_field_error(source, "mac_characterisation", "not an object of one file name",
                        json_brief(m), "{\"file\": JSON relative to the table}");
    }
    t.mac_characterisation_ = std::make_shared<const MacCharacterisation>(MacCharacterisation::load(
        (std::filesystem::path(source).parent_path() / m["file"].get<std::string>()).string()));
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
  nlohmann::json p = {
      {"name", name_}, {"path", path_}, {"node_nm", node_nm_}, {"sources", sources}};
  if (sram_table_) {
    p["sram_table"] = {{"file", sram_table_->file},
                       {"source", sram_table_->source},
                       {"transistor_type", sram_table_->transistor_type},
                       {"word_bits", sram_table_->word_bits}};
  }
  if (mac_characterisation_) {
    p["mac_characterisation"] = {{"file", mac_characterisation_->file()},
                                 {"name", mac_characterisation_->name()},
                                 {"designs", mac_characterisation_->size()}};
  }
  return p;
}

}  // namespace conloc
