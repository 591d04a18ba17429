#include "modules/arith/elp_bsd_format.h"

#include <algorithm>

#include "modules/arith/naf.h"
#include "modules/base/error.h"

namespace conloc {

namespace {

std::string hex_code(std::uint32_t code, int bits) {
  std::string s;
  for (int b = bits - 1; b >= 0; --b)
    s += ((code >> b) & 1u) ? '1' : '0';
  return "0b" + s;
}

}  // namespace

const std::vector<ElpBsdParams>& ElpBsdFormat::presets() {
  // name, terms k, shift_bits, gap_bits, positions N
  static const std::vector<ElpBsdParams> kPresets = {
      {"elp4", 1, 3, 0, 7},  // signed powers of two, 0 and +-1..+-64
      {"elp5", 2, 2, 1, 5},  // two terms, gap exactly 2
      {"elp6", 2, 2, 2, 7},  // two terms, gap 2..4
      {"elp7", 2, 3, 2, 8},  // two terms over 8 positions, gap 2..4
      {"elp8", 2, 3, 3, 8},  // LP_BSD(8, 2) but for +-128
  };
  return kPresets;
}

std::vector<std::string> ElpBsdFormat::preset_names() {
  std::vector<std::string> names;
  for (const auto& p : presets())
    names.push_back(p.name);
  return names;
}

ElpBsdFormat ElpBsdFormat::preset(const std::string& name) {
  for (const auto& p : presets()) {
    if (p.name == name) return ElpBsdFormat(p);
  }
  std::string known;
  for (const auto& n : preset_names())
    known += (known.empty() ? "" : ", ") + n;
  throw UserError(
      field_error("elp_bsd", "format", "unknown preset", "\"" + name + "\"", "one of " + known));
}

ElpBsdFormat::ElpBsdFormat(ElpBsdParams params, const std::string& source) : p_(std::move(params)) {
  const std::string tag = source + ": " + (p_.name.empty() ? "custom format" : p_.name);
  auto reject = [&](const std::string& field, const std::string& why, int got,
                    const std::string& expected) {
    throw UserError(field_error(tag, field, why, std::to_string(got), expected));
  };
  if (p_.terms < 1 || p_.terms > 3) reject("terms", "unsupported term count", p_.terms, "1..3");
  if (p_.positions < 2 || p_.positions > 16) {
    reject("positions", "unsupported digit positions", p_.positions, "2..16");
  }
  if (p_.shift_bits < 1 || p_.shift_bits > 4) {
    reject("shift_bits", "unsupported base-shift width", p_.shift_bits, "1..4");
  }
  // P = 2^shift_bits - 1 puts term 1 at position 2^shift_bits - 2; that must be a legal position,
  // otherwise a whole slice of the code space could never be valid.
  const int top_base = (1 << p_.shift_bits) - 2;
  if (top_base > p_.positions - 1) {
    int max_bits = 1;
    while (max_bits < 4 && (1 << (max_bits + 1)) - 2 <= p_.positions - 1)
      ++max_bits;
    reject("shift_bits",
           "lets term 1 reach position " + std::to_string(top_base) + " but positions=" +
               std::to_string(p_.positions) + " allows 0.." + std::to_string(p_.positions - 1),
           p_.shift_bits,
           "<= " + std::to_string(max_bits) + " for positions=" + std::to_string(p_.positions));
  }
  if (p_.terms == 1) {
    if (p_.gap_bits != 0)
      reject("gap_bits", "a one-term format has no gap field", p_.gap_bits, "0");
  } else {
    if (p_.gap_bits < 1 || p_.gap_bits > 4) {
      reject("gap_bits", "unsupported gap width", p_.gap_bits, "1..4 for terms >= 2");
    }
    // The smallest multi-term pattern (positions 0, 2, 4, ...) must fit.
    const int min_top = 2 * (p_.terms - 1);
    if (min_top > p_.positions - 1) {
      reject("positions",
             "too few positions for " + std::to_string(p_.terms) + " non-adjacent terms",
             p_.positions, ">= " + std::to_string(min_top + 1));
    }
  }
  if (p_.code_bits() > 16) {
    reject("code_bits", "code word too wide", p_.code_bits(), "<= 16");
  }

  max_position_ = 0;
  for (std::uint32_t c = 0; c < code_count(); ++c) {
    if (!is_valid(c)) continue;
    const ElpBsdFields f = fields(c);
    std::int32_t v = 0;
    for (int j = 0; j < p_.terms; ++j) {
      if (!f.enabled[j]) continue;
      max_position_ = std::max(max_position_, f.position[j]);
      v += (f.negate[j] ? -1 : 1) * (std::int32_t{1} << f.position[j]);
    }
    levels_.push_back(v);
  }
  std::sort(levels_.begin(), levels_.end());
  offset_ = -levels_.front();
  code_of_.assign(static_cast<std::size_t>(levels_.back() + offset_ + 1), -1);
  for (std::uint32_t c = 0; c < code_count(); ++c) {
    if (!is_valid(c)) continue;
    std::int32_t& slot = code_of_[static_cast<std::size_t>(decode(c) + offset_)];
    CONLOC_ASSERT(slot < 0, "ElpBsdFormat", "two valid codes decode to the same value");
    slot = static_cast<std::int32_t>(c);
  }
}

ElpBsdFields ElpBsdFormat::fields(std::uint32_t code) const {
  ElpBsdFields f;
  int cursor = code_bits();
  auto take = [&](int width) {
    cursor -= width;
    return static_cast<int>((code >> cursor) & ((1u << width) - 1u));
  };
  f.negate[0] = take(1) != 0;
  f.base_shift = take(p_.shift_bits);
  for (int j = 1; j < p_.terms; ++j) {
    f.negate[j] = take(1) != 0;
    f.gap[j] = take(p_.gap_bits);
  }
  // Term enables come straight from the shift fields: a zero field disables its term.
  f.enabled[0] = f.base_shift != 0;
  f.position[0] = f.base_shift - 1;
  for (int j = 1; j < p_.terms; ++j) {
    f.enabled[j] = f.enabled[j - 1] && f.gap[j] != 0;
    f.position[j] = f.position[j - 1] + f.gap[j] + 1;
  }
  for (int j = 0; j < p_.terms; ++j)
    f.terms += f.enabled[j];
  return f;
}

std::string ElpBsdFormat::invalid_reason(std::uint32_t code) const {
  if (code >= code_count()) {
    return "code " + std::to_string(code) + " does not fit in " + std::to_string(code_bits()) +
           " bits";
  }
  const ElpBsdFields f = fields(code);
  if (f.base_shift == 0) {
    if (code != 0) return "P = 0 encodes zero, and only the all-zero code may (redundant zero)";
    return "";
  }
  for (int j = 1; j < p_.terms; ++j) {
    if (f.gap[j] == 0 && f.negate[j]) {
      return "S" + std::to_string(j + 1) + " set on a disabled term (G" + std::to_string(j + 1) +
             " = 0): redundant with S" + std::to_string(j + 1) + " = 0";
    }
    if (f.gap[j] != 0 && !f.enabled[j - 1]) {
      return "term " + std::to_string(j + 1) + " enabled after disabled term " + std::to_string(j);
    }
  }
  for (int j = 0; j < p_.terms; ++j) {
    if (f.enabled[j] && f.position[j] > p_.positions - 1) {
      return "term " + std::to_string(j + 1) + " at position " + std::to_string(f.position[j]) +
             " is beyond positions=" + std::to_string(p_.positions);
    }
  }
  return "";
}

std::int32_t ElpBsdFormat::decode(std::uint32_t code) const {
  const std::string why = invalid_reason(code);
  if (!why.empty()) {
    throw UserError(
        field_error(p_.name, "code " + hex_code(code, code_bits()), "invalid code: " + why));
  }
  const ElpBsdFields f = fields(code);
  std::int32_t v = 0;
  for (int j = 0; j < p_.terms; ++j) {
    if (f.enabled[j]) v += (f.negate[j] ? -1 : 1) * (std::int32_t{1} << f.position[j]);
  }
  return v;
}

std::uint32_t ElpBsdFormat::encode(std::int32_t level) const {
  if (!representable(level)) {
    throw UserError(
        field_error(p_.name, "level", "value is not representable", std::to_string(level),
                    "one of the format's " + std::to_string(levels_.size()) + " levels"));
  }
  return static_cast<std::uint32_t>(code_of_[static_cast<std::size_t>(level + offset_)]);
}

}  // namespace conloc
