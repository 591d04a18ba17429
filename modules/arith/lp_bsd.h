#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace conloc {

// LP_BSD(N, k): the integers whose non-adjacent form has at most k non-zero digits, all at digit
// positions 0..N-1. Because the NAF is the minimum-weight signed-digit form, these are exactly the
// values a k-term shift-and-add MAC with non-adjacent terms can multiply by.
struct LpBsdSpec {
  int positions = 8;   // N
  int max_digits = 2;  // k
};

// Throws UserError naming `source` when N or k is outside the supported range.
void validate_lp_bsd(const LpBsdSpec& spec, const std::string& source);

// The level set, sorted ascending; symmetric around 0 and always containing 0.
std::vector<std::int32_t> lp_bsd_levels(const LpBsdSpec& spec);

}  // namespace conloc
