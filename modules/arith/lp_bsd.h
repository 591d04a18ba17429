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

// SD(N, k): the positive integers that are a sum of at most k signed powers of two at distinct
// digit positions 0..N-1, adjacent ones allowed: what a k-term shift-and-add MAC whose shifters
// each reach every position can multiply by (the ELP_BSD v2 decoder stores each term's position).
// A superset of LP_BSD(N, k)'s positive values: 12 = 8 + 4 fits N = 4, its NAF 16 - 4 does not.
// Ascending. Requires 1 <= k <= 3, k <= N <= 16.
std::vector<std::int32_t> signed_digit_values(int positions, int max_digits);

// A form of v > 0 in SD(N, k) with the fewest non-zero digits (its NAF when that fits the
// positions): one digit in {-1, 0, 1} per position, least significant first, trailing zeros
// dropped; empty when v is not in SD(N, k).
std::vector<int> signed_digit_form(std::int32_t v, int positions, int max_digits);

}  // namespace conloc
