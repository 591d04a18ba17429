#include "sim/config/scalesim_cfg.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>
#include <sstream>

#include "modules/base/error.h"
#include "sim/common/file_io.h"
#include "sim/common/text.h"

namespace conloc {

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// A key's value and the line it is on; by section, then lower-cased key.
struct Entry {
  std::string value;
  int line = 0;
};
using Sections = std::map<std::string, std::map<std::string, Entry>>;

// The keys SCALE-Sim v2 reads (scalesim/scale_config.py), lower-cased as Python's ConfigParser
// keeps them, by section.
const std::map<std::string, std::set<std::string>>& known_keys() {
  static const std::map<std::string, std::set<std::string>> k = {
      {"general", {"run_name"}},
      {"architecture_presets",
       {"arrayheight", "arraywidth", "ifmapsramszkb", "filtersramszkb", "ofmapsramszkb",
        "ifmapoffset", "filteroffset", "ofmapoffset", "bandwidth", "dataflow", "memorybanks"}},
      {"run_presets", {"interfacebandwidth"}},
  };
  return k;
}

std::string joined(const std::set<std::string>& s) {
  std::string out;
  for (const auto& x : s)
    out += (out.empty() ? "" : ", ") + x;
  return out;
}

// Python ConfigParser's syntax as SCALE-Sim's files use it: [section], key = value or key: value,
// whole-line comments (# or ;), keys case-insensitive.
Sections parse(const std::string& path) {
  Sections s;
  std::istringstream in(read_text_file(path));
  std::string line, section;
  for (int n = 1; std::getline(in, line); ++n) {
    const std::string t = trim(line);
    const std::string where = path + ": line " + std::to_string(n);
    if (t.empty() || t[0] == '#' || t[0] == ';') continue;
    if (t.front() == '[') {
      if (t.back() != ']')
        throw UserError(field_error(where, "", "malformed section", t, "[name]"));
      section = lower(trim(t.substr(1, t.size() - 2)));
      if (!known_keys().count(section)) {
        std::set<std::string> names;
        for (const auto& [k, v] : known_keys())
          names.insert(k);
        throw UserError(field_error(
            where, "[" + section + "]",
            section == "network_presets" ? "a topology named in the config is not read here"
                                         : "unknown SCALE-Sim section",
            "",
            section == "network_presets" ? "the topology given with --workload FILE.csv"
                                         : "one of " + joined(names)));
      }
      s[section];
      continue;
    }
    const auto sep = t.find_first_of(":=");
    if (sep == std::string::npos || section.empty()) {
      throw UserError(field_error(where, "", "expected a key = value line in a [section]", t, ""));
    }
    const std::string key = lower(trim(t.substr(0, sep)));
    if (!known_keys().at(section).count(key)) {
      throw UserError(field_error(where, section + "." + key, "unknown SCALE-Sim key", "",
                                  "one of " + joined(known_keys().at(section))));
    }
    s[section][key] = {trim(t.substr(sep + 1)), n};
  }
  return s;
}

}  // namespace

nlohmann::json scalesim_cfg_document(const std::string& path) {
  const Sections s = parse(path);
  auto entry = [&](const std::string& section, const std::string& key) -> const Entry& {
    const auto sec = s.find(section);
    if (sec == s.end()) throw UserError(field_error(path, "[" + section + "]", "missing section"));
    const auto it = sec->second.find(key);
    if (it == sec->second.end()) {
      throw UserError(field_error(path, section + "." + key, "missing key"));
    }
    return it->second;
  };
  auto integer = [&](const std::string& section, const std::string& key, long long lo) {
    const Entry& e = entry(section, key);
    std::size_t used = 0;
    long long v = 0;
    try {
      v = std::stoll(e.value, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != e.value.size() || v < lo || v > (1ll << 30)) {
      throw UserError(field_error(path + ": line " + std::to_string(e.line), section + "." + key,
                                  "not an integer in range", "\"" + e.value + "\"",
                                  "an integer in [" + std::to_string(lo) + ", 1073741824]"));
    }
    return v;
  };
  const std::string arch = "architecture_presets";
  entry("general", "run_name");  // names SCALE-Sim's output folder; --out does that here
  for (const char* k : {"ifmapoffset", "filteroffset", "ofmapoffset"})
    integer(arch, k, 0);  // trace addresses: our DRAM layout is our own
  const Entry& df = entry(arch, "dataflow");
  const std::string dataflow = lower(df.value);
  if (dataflow != "os" && dataflow != "ws" && dataflow != "is") {
    throw UserError(field_error(path + ": line " + std::to_string(df.line), arch + ".dataflow",
                                "unknown dataflow", df.value, "os, ws or is"));
  }
  nlohmann::json doc;
  doc["array"] = {{"rows", integer(arch, "arrayheight", 1)},
                  {"cols", integer(arch, "arraywidth", 1)},
                  {"dataflow", dataflow},
                  {"fold_timing", "scalesim"}};
  // SCALE-Sim counts words; its traces are of 8-bit operands in our terms.
  doc["design"] = {{"mac", "fixed"}, {"fixed", {{"weight_bits", 8}}}, {"activation_bits", 8}};
  // SCALE-Sim's compute cycles assume SRAM ports without limit (as the mirror presets).
  doc["buffers"] = {{"activation_kib", integer(arch, "ifmapsramszkb", 1)},
                    {"weight_kib", integer(arch, "filtersramszkb", 1)},
                    {"output_kib", integer(arch, "ofmapsramszkb", 1)},
                    {"weight_port_bytes", 65536},
                    {"activation_port_bytes", 65536},
                    {"output_port_bytes", 65536}};
  if (s.at(arch).count("memorybanks")) {
    const long long banks = integer(arch, "memorybanks", 1);
    for (const char* k : {"weight_banks", "activation_banks", "output_banks"})
      doc["buffers"][k] = banks;
  }
  const Entry& mode = entry("run_presets", "interfacebandwidth");
  if (mode.value == "CALC") {
    // SCALE-Sim computes the bandwidth that leaves no stall: DRAM that never stalls the array.
    doc["dram"] = {{"bytes_per_cycle", 4096.0}, {"latency_cycles", 0}, {"burst_bytes", 4096}};
  } else if (mode.value == "USER") {
    const Entry& bw = entry(arch, "bandwidth");
    if (bw.value.find(',') != std::string::npos) {
      throw UserError(field_error(path + ": line " + std::to_string(bw.line), arch + ".bandwidth",
                                  "one bandwidth per run is modelled", bw.value,
                                  "a single words-per-cycle figure"));
    }
    doc["dram"] = {{"bytes_per_cycle", static_cast<double>(integer(arch, "bandwidth", 1))}};
  } else {
    throw UserError(field_error(path + ": line " + std::to_string(mode.line),
                                "run_presets.interfacebandwidth", "unknown mode", mode.value,
                                "CALC or USER"));
  }
  return doc;
}

}  // namespace conloc
