#include "modules/arith/lp_bsd.h"

#include <algorithm>

#include "modules/arith/naf.h"
#include "modules/base/error.h"

namespace conloc {

void validate_lp_bsd(const LpBsdSpec& spec, const std::string& source) {
  if (spec.positions < 1 || spec.positions > 16) {
    throw_field_error(source, "positions", "unsupported number of digit positions",
                      std::to_string(spec.positions), "1..16");
  }
  const int max_k = (spec.positions + 1) / 2;  // NAF: at most every other position non-zero
  if (spec.max_digits < 1 || spec.max_digits > max_k) {
    throw_field_error(
        source, "max_digits", "unsupported number of non-zero digits",
        std::to_string(spec.max_digits),
        "1.." + std::to_string(max_k) + " for positions=" + std::to_string(spec.positions));
  }
}

std::vector<std::int32_t> lp_bsd_levels(const LpBsdSpec& spec) {
  validate_lp_bsd(spec, "lp_bsd");
  std::vector<std::int32_t> levels;
  // A NAF confined to positions < N has magnitude below 2^N * 2/3 < 2^N.
  const std::int32_t bound = 1 << spec.positions;
  for (std::int32_t v = -bound; v <= bound; ++v) {
    const auto d = naf_digits(v);
    if (static_cast<int>(d.size()) > spec.positions) continue;
    int w = 0;
    for (int x : d)
      w += x != 0;
    if (w <= spec.max_digits) levels.push_back(v);
  }
  return levels;
}

namespace {

// Calls f(positions, signs) for every choice of t distinct positions < n (ascending) and signs.
template <class F>
void for_each_form(int n, int t, F&& f) {
  std::vector<int> pos(static_cast<std::size_t>(t));
  for (int i = 0; i < t; ++i)
    pos[static_cast<std::size_t>(i)] = i;
  while (true) {
    for (int signs = 0; signs < (1 << t); ++signs)
      f(pos, signs);
    int i = t - 1;
    while (i >= 0 && pos[static_cast<std::size_t>(i)] == n - t + i)
      --i;
    if (i < 0) return;
    ++pos[static_cast<std::size_t>(i)];
    for (int j = i + 1; j < t; ++j)
      pos[static_cast<std::size_t>(j)] = pos[static_cast<std::size_t>(j) - 1] + 1;
  }
}

std::int64_t form_value(const std::vector<int>& pos, int signs) {
  std::int64_t v = 0;
  for (std::size_t j = 0; j < pos.size(); ++j)
    v += ((signs >> j) & 1 ? -1 : 1) * (std::int64_t{1} << pos[j]);
  return v;
}

}  // namespace

std::vector<std::int32_t> signed_digit_values(int positions, int max_digits) {
  CONLOC_ASSERT(max_digits >= 1 && max_digits <= 3 && positions >= max_digits && positions <= 16,
                "signed_digit_values", "unsupported N or k");
  std::vector<std::int32_t> v;
  for (int t = 1; t <= max_digits; ++t) {
    for_each_form(positions, t, [&](const std::vector<int>& pos, int signs) {
      const std::int64_t x = form_value(pos, signs);
      if (x > 0) v.push_back(static_cast<std::int32_t>(x));
    });
  }
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  return v;
}

std::vector<int> signed_digit_form(std::int32_t v, int positions, int max_digits) {
  if (v <= 0) return {};
  const std::vector<int> naf = naf_digits(v);
  if (naf_weight(v) <= max_digits && static_cast<int>(naf.size()) <= positions) return naf;
  // The NAF has the fewest digits of any form, so fewer than its weight is impossible.
  for (int t = naf_weight(v); t <= max_digits && t <= positions; ++t) {
    std::vector<int> found;
    for_each_form(positions, t, [&](const std::vector<int>& pos, int signs) {
      if (!found.empty() || form_value(pos, signs) != v) return;
      found.assign(static_cast<std::size_t>(pos.back()) + 1, 0);
      for (std::size_t j = 0; j < pos.size(); ++j)
        found[static_cast<std::size_t>(pos[j])] = (signs >> j) & 1 ? -1 : 1;
    });
    if (!found.empty()) return found;
  }
  return {};
}

}  // namespace conloc
