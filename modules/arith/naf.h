#pragma once

#include <cstdint>
#include <vector>

namespace conloc {

// Non-adjacent form of v: digits in {-1, 0, +1}, least significant first, no two adjacent digits
// non-zero. It is unique and has the fewest non-zero digits of any binary signed-digit form, which
// is why LP_BSD uses it as the canonical digit pattern.
std::vector<int> naf_digits(std::int64_t v);

// Number of non-zero digits in the NAF of v.
int naf_weight(std::int64_t v);

}  // namespace conloc
