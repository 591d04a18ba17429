#pragma once

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "sim/energy/mac_characterisation.h"

namespace conloc {

// One constant of an energy table, with where it comes from.
struct EnergyConstant {
  double value = 0.0;
  std::string unit;
  std::string source;
  int node_nm = 0;
  int bits = 0;             // width the constant was measured at (0: not applicable)
  double capacity_kib = 0;  // SRAM capacity for SRAM constants (0: not applicable)
};

// SRAM energies per access from a CACTI table (configs/energy/cacti7-sram-45nm.csv), one row per
// capacity and word width: what an energy table's optional "sram_table" names instead of the
// Horowitz per-bit anchors (docs/energy.md).
struct SramTable {
  std::string file, source, transistor_type;
  // Static power from the rows of this transistor type (CACTI's itrs-hp leakage is far above a
  // scratchpad's: configs/energy/cacti7-sram/README.md recommends itrs-lop); empty: no leakage.
  std::string leakage_transistor_type;
  int word_bits = 64;  // the access width when a caller names none
  struct Row {
    double capacity_bytes, read_pj, write_pj, leakage_mw;  // leakage of the leakage type's row
  };
  std::vector<Row> rows;  // at word_bits, one bank, ascending capacity
  // Every width the CSV has for the transistor type (one bank, ascending capacity; no leakage).
  std::map<int, std::vector<Row>> by_width;
};

// Energy constants as data (configs/energy/*.json): every constant records its value, unit, source
// and technology node; the set of constants is fixed so a missing or misspelled one is an error.
class EnergyTable {
 public:
  static EnergyTable load(const std::string& path);
  static EnergyTable from_json(const nlohmann::json& doc, const std::string& source);

  const std::string& name() const { return name_; }
  const std::string& path() const { return path_; }
  int node_nm() const { return node_nm_; }
  const EnergyConstant& at(const std::string& id) const;
  const std::map<std::string, EnergyConstant>& constants() const { return constants_; }
  // {"name", "path", "node_nm", "sources": {id: source}} for summaries.
  nlohmann::json provenance() const;
  const std::optional<SramTable>& sram_table() const { return sram_table_; }
  // The MAC power macromodel the table's optional "mac_characterisation" names ({"file": JSON
  // relative to the table}), or null: then every MAC is costed by the structural model.
  const MacCharacterisation* mac_characterisation() const { return mac_characterisation_.get(); }
  // Its design whose generated Verilog hashes to `rtl_fnv1a64`, or null (no characterisation, or
  // not this circuit).
  const MacCharacterisation::Design* characterised(const std::string& rtl_fnv1a64) const {
    return mac_characterisation_ ? mac_characterisation_->find(rtl_fnv1a64) : nullptr;
  }

 private:
  std::string name_;
  std::string path_;
  int node_nm_ = 0;
  std::map<std::string, EnergyConstant> constants_;
  std::optional<SramTable> sram_table_;
  std::shared_ptr<const MacCharacterisation> mac_characterisation_;
};

}  // namespace conloc
