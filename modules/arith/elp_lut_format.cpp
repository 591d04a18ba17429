#include "modules/arith/elp_lut_format.h"

#include <algorithm>
#include <map>
#include <mutex>

#include "modules/arith/level_set_search.h"
#include "modules/arith/lp_bsd.h"
#include "modules/arith/naf.h"
#include "modules/base/error.h"

namespace conloc {

namespace {

void check(const std::string& source, const std::string& field, int v, int lo, int hi) {
  if (v < lo || v > hi) {
    throw_field_error(source, field, "out of range", std::to_string(v),
                      "integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
  }
}

}  // namespace

ElpLutFormat::ElpLutFormat(ElpLutParams params, const std::string& source) : p_(std::move(params)) {
  check(source, "code_bits", p_.code_bits, 3, 8);
  check(source, "terms", p_.terms, 1, 3);
  check(source, "positions", p_.positions, 2, 10);
  const int count = (1 << (p_.code_bits - 1)) - 1;
  // Each term sits at a position of its own.
  if (p_.terms > p_.positions) {
    throw_field_error(source, "positions", "fewer digit positions than terms",
                      std::to_string(p_.positions), ">= k = " + std::to_string(p_.terms));
  }
  const std::vector<std::int32_t> candidates = signed_digit_values(p_.positions, p_.terms);
  if (static_cast<int>(candidates.size()) < count) {
    throw_field_error(source, "positions",
                      std::to_string(p_.terms) + " signed digits at " +
                          std::to_string(p_.positions) + " positions make only " +
                          std::to_string(candidates.size()) + " positive values, a " +
                          std::to_string(p_.code_bits) + "-bit code needs " +
                          std::to_string(count) + " magnitudes",
                      std::to_string(p_.positions), "more positions or terms");
  }
  if (p_.magnitudes.empty()) {
    const int n = p_.positions, k = p_.terms;
    magnitudes_ =
        best_laplace_levels(candidates, count,
                            {p_.term_price, [n, k](std::int32_t v) { return sd_terms(v, n, k); }})
            .magnitudes;
  } else {
    check_magnitudes(source);
    magnitudes_ = p_.magnitudes;
  }
  build_fields();
}

int sd_terms(std::int32_t magnitude, int positions, int max_digits) {
  int t = 0;
  for (int d : signed_digit_form(magnitude, positions, max_digits))
    t += d != 0;
  return t;
}

void ElpLutFormat::check_magnitudes(const std::string& source) const {
  const std::vector<std::int32_t>& m = p_.magnitudes;
  const std::size_t count = (std::size_t{1} << (p_.code_bits - 1)) - 1;
  if (m.size() != count) {
    throw_field_error(source, "levels",
                      std::string(m.size() > count ? "more" : "fewer") + " magnitudes than a " +
                          std::to_string(p_.code_bits) + "-bit code has (2^(b-1) - 1 besides zero)",
                      std::to_string(m.size()), std::to_string(count));
  }
  for (std::size_t i = 0; i < m.size(); ++i) {
    const std::string v = std::to_string(m[i]);
    if (m[i] <= 0 || (i > 0 && m[i] <= m[i - 1])) {
      throw_field_error(source, "levels[" + std::to_string(i) + "]",
                        "magnitudes must be positive and strictly ascending", v,
                        i == 0 ? "> 0" : "> " + std::to_string(m[i - 1]));
    }
    if (!signed_digit_form(m[i], p_.positions, p_.terms).empty()) continue;
    // Not a sum of k signed powers of two below position N: too many digits in any form (the
    // NAF has the fewest), or a digit beyond the positions.
    if (naf_weight(m[i]) > p_.terms) {
      throw_field_error(source, "levels[" + std::to_string(i) + "]",
                        "needs " + std::to_string(naf_weight(m[i])) +
                            " non-zero digits (its non-adjacent form), more than the terms",
                        v, "at most k = " + std::to_string(p_.terms));
    }
    throw_field_error(source, "levels[" + std::to_string(i) + "]",
                      "needs digit position " + std::to_string(naf_digits(m[i]).size() - 1) +
                          " with " + std::to_string(p_.terms) + " terms, beyond the positions",
                      v,
                      "digits at positions 0.." + std::to_string(p_.positions - 1) +
                          " (N = " + std::to_string(p_.positions) + ")");
  }
}

ElpLutFormat::ElpLutFormat(ElpLutParams params, std::vector<std::int32_t> magnitudes)
    : p_(std::move(params)), magnitudes_(std::move(magnitudes)) {
  const std::size_t count = (std::size_t{1} << (p_.code_bits - 1)) - 1;
  CONLOC_ASSERT(
      magnitudes_.size() == count && std::is_sorted(magnitudes_.begin(), magnitudes_.end()),
      "ElpLutFormat", "a level set needs 2^(b-1) - 1 ascending magnitudes");
  for (std::int32_t m : magnitudes_) {
    CONLOC_ASSERT(!signed_digit_form(m, p_.positions, p_.terms).empty(), "ElpLutFormat",
                  "magnitude outside SD(N, k): " + std::to_string(m));
  }
  build_fields();
}

void ElpLutFormat::build_fields() {
  for (auto it = magnitudes_.rbegin(); it != magnitudes_.rend(); ++it)
    levels_.push_back(-*it);
  levels_.push_back(0);
  levels_.insert(levels_.end(), magnitudes_.begin(), magnitudes_.end());
  fields_.resize(magnitudes_.size() + 1);
  for (std::size_t i = 1; i < fields_.size(); ++i) {
    const std::vector<int> d = signed_digit_form(magnitudes_[i - 1], p_.positions, p_.terms);
    ElpBsdFields& f = fields_[i];
    for (int pos = 0; pos < static_cast<int>(d.size()); ++pos) {
      if (d[static_cast<std::size_t>(pos)] == 0) continue;
      f.enabled[static_cast<std::size_t>(f.terms)] = true;
      f.negate[static_cast<std::size_t>(f.terms)] = d[static_cast<std::size_t>(pos)] < 0;
      f.position[static_cast<std::size_t>(f.terms)] = pos;
      ++f.terms;
    }
  }
}

int ElpLutFormat::position_bits() const {
  int b = 0;
  while ((1 << b) < p_.positions)
    ++b;
  return b;
}

std::int32_t ElpLutFormat::decode(std::uint32_t code) const {
  if (code >= code_count()) {
    throw UserError(
        field_error(name(), "code " + std::to_string(code), "invalid code: wider than the format"));
  }
  const std::uint32_t index = code & ((1u << (p_.code_bits - 1)) - 1u);
  if (index == 0) return 0;
  const std::int32_t m = magnitudes_[index - 1];
  return (code >> (p_.code_bits - 1)) ? -m : m;
}

std::uint32_t ElpLutFormat::encode(std::int32_t level) const {
  if (level == 0) return 0;
  const std::int32_t m = level < 0 ? -level : level;
  const auto it = std::lower_bound(magnitudes_.begin(), magnitudes_.end(), m);
  if (it == magnitudes_.end() || *it != m) {
    throw UserError(field_error(name(), "level", "value is not representable",
                                std::to_string(level), "a level of the format"));
  }
  const auto index = static_cast<std::uint32_t>(it - magnitudes_.begin()) + 1u;
  return index | (level < 0 ? 1u << (p_.code_bits - 1) : 0u);
}

ElpBsdFields ElpLutFormat::fields(std::uint32_t code) const {
  const std::uint32_t index = code & ((1u << (p_.code_bits - 1)) - 1u);
  ElpBsdFields f = fields_[index];
  if (code >> (p_.code_bits - 1)) {
    for (int j = 0; j < f.terms; ++j)
      f.negate[static_cast<std::size_t>(j)] = !f.negate[static_cast<std::size_t>(j)];
  }
  return f;
}

const std::vector<ElpLutParams>& ElpLutFormat::presets() {
  // Terms, positions and term price per width: the k, N and price whose MAC lies furthest above
  // the fixed-point SQNR-vs-energy curve on Laplace weights while keeping 1 dB over fixed point
  // of the same width (a price only where it gains more than 0.1 dB); fewer positions mean fewer
  // shifter stages and narrower term adds. Two terms up to 6 bits: a parallel third term's
  // adder switches for every weight (a term pass, docs/energy.md), which puts every three-term
  // choice below the curve at 6 bits; 7 and 8 bits need three terms for their level counts. The
  // per-layer search reacts to the price more strongly once the quantizer's MSE scale search is
  // applied, so elp6v2l's price comes from its own sweep. Three magnitudes over three positions
  // are the powers of two, so elp3v2 is built with the one term they use (a second would only
  // pass its sum through); elp3v2l keeps two, so that a layer may choose its three magnitudes
  // from 1..6 (fixed3's 1, 2, 3 among them). The sweeps: docs/elp_bsd.md, section 7.
  static const std::vector<ElpLutParams> kPresets = {
      {"elp3v2", 3, 1, 3, false, {}, 0.0}, {"elp4v2", 4, 2, 4, false, {}, 0.0},
      {"elp5v2", 5, 2, 5, false, {}, 0.0}, {"elp6v2", 6, 2, 7, false, {}, 0.2},
      {"elp7v2", 7, 3, 7, false, {}, 0.0}, {"elp8v2", 8, 3, 8, false, {}, 0.0},
      {"elp3v2l", 3, 2, 3, true, {}, 0.0}, {"elp4v2l", 4, 2, 4, true, {}, 0.0},
      {"elp5v2l", 5, 2, 5, true, {}, 0.0}, {"elp6v2l", 6, 2, 7, true, {}, 0.02},
      {"elp7v2l", 7, 3, 7, true, {}, 0.0}, {"elp8v2l", 8, 3, 8, true, {}, 0.0}};
  return kPresets;
}

bool ElpLutFormat::is_preset(const std::string& name) {
  const auto& p = presets();
  return std::any_of(p.begin(), p.end(), [&](const ElpLutParams& e) { return e.name == name; });
}

ElpLutFormat ElpLutFormat::cached(const ElpLutParams& params, const std::string& source) {
  static std::mutex m;
  static std::map<std::string, ElpLutFormat> cache;
  std::string key = params.name + "/" + std::to_string(params.code_bits) + "/" +
                    std::to_string(params.terms) + "/" + std::to_string(params.positions) +
                    (params.per_layer ? "/l" : "");
  for (std::int32_t v : params.magnitudes)
    key += "," + std::to_string(v);
  key += "/p" + std::to_string(params.term_price);
  const std::lock_guard<std::mutex> lock(m);
  if (const auto it = cache.find(key); it != cache.end()) return it->second;
  return cache.emplace(key, ElpLutFormat(params, source)).first->second;
}

ElpLutFormat ElpLutFormat::preset(const std::string& name) {
  for (const auto& p : presets()) {
    if (p.name == name) return cached(p);
  }
  throw UserError(field_error("elp_bsd v2", "preset", "unknown preset", "\"" + name + "\""));
}

}  // namespace conloc
