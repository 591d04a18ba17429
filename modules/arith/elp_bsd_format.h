#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace conloc {

// Parameters of one member of the ELP_BSD code family (docs/elp_bsd.md has the full design).
// Code word, most significant field first:
//   S1 | P (shift_bits) | S2 | G2 (gap_bits) | ... | Sk | Gk (gap_bits)
// Term 1 is the least significant digit, at position P-1; P = 0 disables it, which makes the whole
// code the zero weight. Term j >= 2 sits G_j + 1 positions above term j-1; G_j = 0 disables it.
// Each term's digit is -1 when its S bit is set. All term positions must be < positions.
struct ElpBsdParams {
  std::string name;
  int terms = 2;       // k: 1..3
  int shift_bits = 2;  // width of P: 1..4
  int gap_bits = 1;    // width of each G_j: 1..4 (0 when terms == 1)
  int positions = 8;   // N: digit positions 0..N-1

  int code_bits() const { return 1 + shift_bits + (terms - 1) * (1 + gap_bits); }
};

// The fields of a code word as the MAC sees them.
struct ElpBsdFields {
  int base_shift = 0;             // P
  std::array<int, 3> gap{};       // G_j for j = 2..k at index j-1 (index 0 unused)
  std::array<bool, 3> negate{};   // S_j at index j-1
  std::array<bool, 3> enabled{};  // term enable at index j-1
  std::array<int, 3> position{};  // digit position of term j (valid where enabled)
  int terms = 0;                  // enabled terms (0 for the zero code)
};

class ElpBsdFormat {
 public:
  // Validates the parameters; an unsupported combination is a UserError naming `source`, the
  // parameter, the reason and the supported range.
  explicit ElpBsdFormat(ElpBsdParams params, const std::string& source = "elp_bsd format");

  const ElpBsdParams& params() const { return p_; }
  const std::string& name() const { return p_.name; }
  int code_bits() const { return p_.code_bits(); }
  std::uint32_t code_count() const { return 1u << code_bits(); }
  int max_position() const { return max_position_; }

  // Splits a code into its fields (no validity check).
  ElpBsdFields fields(std::uint32_t code) const;
  // "" for a valid code, otherwise why it is invalid.
  std::string invalid_reason(std::uint32_t code) const;
  bool is_valid(std::uint32_t code) const { return invalid_reason(code).empty(); }

  // Integer weight of a code; an invalid code is a UserError that says why.
  std::int32_t decode(std::uint32_t code) const;
  // Code of a level; a value outside the level set is a UserError.
  std::uint32_t encode(std::int32_t level) const;
  bool representable(std::int32_t level) const {
    const std::int64_t i = std::int64_t{level} + offset_;
    return i >= 0 && i < static_cast<std::int64_t>(code_of_.size()) && code_of_[i] >= 0;
  }
  // Enabled terms of a valid code (0 for zero).
  int terms_in(std::uint32_t code) const { return fields(code).terms; }

  // Every decodable value, ascending.
  const std::vector<std::int32_t>& levels() const { return levels_; }

  static const std::vector<ElpBsdParams>& presets();
  static ElpBsdFormat preset(const std::string& name);
  static std::vector<std::string> preset_names();

 private:
  ElpBsdParams p_;
  int max_position_ = 0;
  std::vector<std::int32_t> levels_;
  // code_of_[level + offset_]: code of each level, -1 where the value is not a level.
  std::vector<std::int32_t> code_of_;
  std::int32_t offset_ = 0;
};

}  // namespace conloc
