#include "modules/arith/elp_lut_format.h"

#include <algorithm>
#include <map>
#include <mutex>

#include "modules/arith/level_set_search.h"
#include "modules/arith/lp_bsd.h"
#include "modules/arith/naf.h"
#include "modules/common/error.h"

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
  const std::vector<std::int32_t> candidates = lp_bsd_levels({p_.positions, p_.terms});
  const auto positive =
      std::count_if(candidates.begin(), candidates.end(), [](std::int32_t v) { return v > 0; });
  if (positive < count) {
    throw_field_error(
        source, "code_bits",
        "more codes than LP_BSD(" + std::to_string(p_.positions) + ", " + std::to_string(p_.terms) +
            ") has positive values",
        std::to_string(p_.code_bits),
        "at most " + std::to_string(positive) + " magnitudes; more terms or positions");
  }
  magnitudes_ = best_laplace_levels(candidates, count).magnitudes;
  build_fields();
}

ElpLutFormat::ElpLutFormat(ElpLutParams params, std::vector<std::int32_t> magnitudes)
    : p_(std::move(params)), magnitudes_(std::move(magnitudes)) {
  const std::size_t count = (std::size_t{1} << (p_.code_bits - 1)) - 1;
  CONLOC_ASSERT(
      magnitudes_.size() == count && std::is_sorted(magnitudes_.begin(), magnitudes_.end()),
      "ElpLutFormat", "a level set needs 2^(b-1) - 1 ascending magnitudes");
  for (std::int32_t m : magnitudes_) {
    CONLOC_ASSERT(m > 0 && m < (1 << p_.positions) && naf_weight(m) <= p_.terms, "ElpLutFormat",
                  "magnitude outside LP_BSD(N, k): " + std::to_string(m));
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
    const std::vector<int> d = naf_digits(magnitudes_[i - 1]);
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
  static const std::vector<ElpLutParams> kPresets = {
      {"elp3v2", 3, 2, 8, false}, {"elp4v2", 4, 2, 8, false}, {"elp5v2", 5, 2, 8, false},
      {"elp6v2", 6, 2, 8, false}, {"elp7v2", 7, 3, 8, false}, {"elp8v2", 8, 3, 8, false},
      {"elp4v2l", 4, 2, 8, true}, {"elp5v2l", 5, 2, 8, true}, {"elp6v2l", 6, 2, 8, true}};
  return kPresets;
}

bool ElpLutFormat::is_preset(const std::string& name) {
  const auto& p = presets();
  return std::any_of(p.begin(), p.end(), [&](const ElpLutParams& e) { return e.name == name; });
}

ElpLutFormat ElpLutFormat::preset(const std::string& name) {
  static std::mutex m;
  static std::map<std::string, ElpLutFormat> cache;
  const std::lock_guard<std::mutex> lock(m);
  if (const auto it = cache.find(name); it != cache.end()) return it->second;
  for (const auto& p : presets()) {
    if (p.name == name) return cache.emplace(name, ElpLutFormat(p)).first->second;
  }
  throw UserError(field_error("elp_bsd v2", "preset", "unknown preset", "\"" + name + "\""));
}

}  // namespace conloc
