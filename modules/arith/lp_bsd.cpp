#include "modules/arith/lp_bsd.h"

#include <algorithm>

#include "modules/arith/naf.h"
#include "modules/common/error.h"

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

}  // namespace conloc
