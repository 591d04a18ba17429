#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "modules/arith/mac_actions.h"

namespace conloc {

class MacModel;

// A MAC power macromodel (docs/rtl.md, "Characterised MAC energy"): for each characterised
// design, its energy per operation by held weight code, as pJ per toggled bit of the activation
// operand, the incoming partial sum and the product, plus pJ per operation (a term-serial MAC's
// cycles switch within an operation; 0 for a parallel one), and the code's mean toggles over the
// reference streams it was fitted on. Fitted by `scripts/toggle_energy.py
// --characterise` to gate-level toggles of the synthesized MAC with every code held on reference
// operands; loaded from the JSON an energy table's "mac_characterisation" names.
class MacCharacterisation {
 public:
  struct Design {
    std::string name;  // e.g. "fixed8"
    std::string file;  // the characterisation it comes from, for errors
    // What its rows are keyed by (MacModel::energy_keyed_by): "code", the held PE code, or
    // "level", the level a loadable decoder's entry holds (2|v| + (v < 0)).
    std::string keyed_by = "code";
    // A held code's coefficients (pJ per toggled activation, partial-sum and product bit, pJ per
    // operation), or null for a code the characterisation lacks. Indexed by key
    // (MacModel::energy_key): the mapper prices a layer's MACs for every candidate mapping.
    const std::array<double, 4>* find(std::uint32_t code) const {
      return code < has.size() && has[code] ? &by_code[code] : nullptr;
    }
    // A held code's energy per operation at its reference operand statistics (the mean
    // activation, partial-sum and product toggles of the characterisation's reference streams
    // with the code held): what a run prices where it simulated no operands. Throws (naming
    // the file) for a code the characterisation lacks.
    double reference_pj(std::uint32_t code) const;
    // Throws the error for a key the characterisation lacks (naming the file, and the level for
    // rows keyed by level).
    [[noreturn]] void missing(std::uint32_t key) const;
    std::vector<std::array<double, 4>> by_code;
    std::vector<OperandToggles> reference;  // per code, the reference streams' mean toggles
    std::vector<char> has;
  };
  static MacCharacterisation load(const std::string& path);

  const std::string& file() const { return file_; }
  const std::string& name() const { return name_; }
  // The design whose generated Verilog hashes to `fnv1a64` (fnv1a_hex, sim/config/sim_config.h:
  // FNV-1a 64, which scripts/toggle_energy.py computes the same way), or null.
  const Design* find(const std::string& fnv1a64) const;
  std::size_t size() const { return by_hash_.size(); }

 private:
  std::string file_, name_;
  std::map<std::string, Design> by_hash_;
};

// Checks that the design's rows are keyed the way `mac` keys its PE codes
// (MacModel::energy_keyed_by; a UserError naming the file otherwise): once per pricing, before
// its rows are looked up by MacModel::energy_key.
void check_keyed_like(const MacCharacterisation::Design& d, const MacModel& mac);

// A weight-stationary layer's MAC energy (pJ) from a characterisation at its reference operand
// statistics: each PE code's operations (its uses x `ops_per_weight`) at the code's reference
// energy.
double characterised_reference_mac_pj(const MacCharacterisation::Design& d, const MacModel& mac,
                                      const std::vector<std::uint64_t>& code_uses,
                                      std::uint64_t ops_per_weight);

// A weight-stationary PE's MAC energy for the operations `a` (pJ) from a characterisation: each
// sampled PE costs, per operation, its code's coefficients x its own toggle rates (PeToggles)
// plus its code's energy per operation. The sample's zero-weight PEs price the layer's gated
// operations and the others the rest, so the layer's exact share of zero weights is kept whatever
// the sample drew. A stratum the sample missed: a zero weight with the sample's mean activation
// and partial-sum toggles (its product does not change); non-zero weights at the sample's mean.
// Throws (naming the characterisation's file) for a sampled code the characterisation lacks.
double characterised_mac_pj(const MacCharacterisation::Design& d, const MacModel& mac,
                            const std::vector<PeToggles>& pes, const MacActions& a);

}  // namespace conloc
