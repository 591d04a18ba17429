#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "modules/arith/elp_bsd_format.h"

namespace conloc {

// ELP_BSD v2 (docs/elp_bsd.md, section 7): a b-bit code word S | I indexes a level set chosen for
// the weight distribution. S is the sign; I (b-1 bits) selects a magnitude: I = 0 is zero, I = i
// the i-th of 2^(b-1) - 1 magnitudes, each a sum of at most `terms` signed powers of two at digit
// positions 0..positions-1 (its non-adjacent form). The magnitudes are the subset of LP_BSD(N, k)
// that minimises the expected squared error for Laplace-distributed weights (level_set_search).
// Every code decodes: S = 1 with I = 0 is a second zero (the price of a one-gate sign control),
// so the set has 2^b - 1 levels, as many as symmetric b-bit fixed point.
// The MAC sees the code through a small fixed decoder (I -> per-term enable, sign, position),
// placed where a weight enters the PE array.
struct ElpLutParams {
  std::string name;
  int code_bits = 5;  // b: 3..8
  int terms = 2;      // k: 1..3
  int positions = 8;  // N: 2..10
  // The level set is chosen per layer from that layer's weights (a loadable decoder table)
  // instead of once for Laplace weights (a fixed decoder).
  bool per_layer = false;
  // The magnitudes given explicitly (ascending, 2^(b-1) - 1 of them, in SD(N, k)) instead of
  // chosen by the search; empty: the search.
  std::vector<std::int32_t> magnitudes;
  // The search's price per shift-add term of the level a weight rounds to, against its squared
  // error (LevelSearchCost): 0 = the most accurate set; more = fewer two-term levels, cheaper MACs.
  double term_price = 0.0;
};

// Non-zero digits of a magnitude's fewest-digit form in SD(N, k): the shift-add terms it costs.
int sd_terms(std::int32_t magnitude, int positions, int max_digits);

class ElpLutFormat {
 public:
  // Validates the parameters (a UserError naming `source`) and chooses the magnitudes (or checks
  // the ones given: count, terms, positions, order).
  explicit ElpLutFormat(ElpLutParams params, const std::string& source = "elp_bsd v2 format");
  // With a given level set (a per-layer choice): 2^(b-1) - 1 ascending magnitudes, each in
  // LP_BSD(N, k) (checked).
  ElpLutFormat(ElpLutParams params, std::vector<std::int32_t> magnitudes);

  const ElpLutParams& params() const { return p_; }
  const std::string& name() const { return p_.name; }
  int code_bits() const { return p_.code_bits; }
  std::uint32_t code_count() const { return 1u << p_.code_bits; }
  int max_position() const { return p_.positions - 1; }
  // Bits of a position field, and of the decoder's output (per term: enable, sign, position).
  int position_bits() const;
  int decoded_bits() const { return p_.terms * (2 + position_bits()); }

  const std::vector<std::int32_t>& magnitudes() const { return magnitudes_; }
  const std::vector<std::int32_t>& levels() const { return levels_; }  // ascending, symmetric

  std::int32_t decode(std::uint32_t code) const;   // a code wider than b bits is a UserError
  std::uint32_t encode(std::int32_t level) const;  // a non-level is a UserError
  // The decoder's outputs for a code: per term enable, sign, position (terms ascending).
  ElpBsdFields fields(std::uint32_t code) const;

  // Bits of the decoder table a per-layer set loads into the array (0 for a fixed decoder).
  int table_bits() const {
    return p_.per_layer ? static_cast<int>(magnitudes_.size()) * decoded_bits() : 0;
  }

  // v2 presets elp3v2 .. elp8v2: k = 1 at 3 bits, 2 up to 6, 3 at 7 and 8; N = 3, 4, 5, 7, 7, 8.
  // elp3v2l .. elp8v2l: the same with a level set chosen per layer (elp3v2l with two terms).
  static const std::vector<ElpLutParams>& presets();
  static bool is_preset(const std::string& name);
  static ElpLutFormat preset(const std::string& name);  // cached: the search runs once per name
  // The format of any parameters (a preset with its positions or terms changed), cached like the
  // presets; a UserError naming `source` for parameters out of range.
  static ElpLutFormat cached(const ElpLutParams& params,
                             const std::string& source = "elp_bsd v2 format");

 private:
  void build_fields();
  void check_magnitudes(const std::string& source) const;

  ElpLutParams p_;
  std::vector<std::int32_t> magnitudes_;  // ascending, 2^(b-1) - 1 of them
  std::vector<std::int32_t> levels_;
  std::vector<ElpBsdFields> fields_;  // per magnitude index (0: zero)
};

}  // namespace conloc
