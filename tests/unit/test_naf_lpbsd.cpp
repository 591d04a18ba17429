#include <algorithm>
#include <functional>
#include <gtest/gtest.h>
#include <map>
#include <set>

#include "modules/arith/lp_bsd.h"
#include "modules/arith/naf.h"
#include "modules/base/error.h"

using namespace conloc;

namespace {

// Minimum number of non-zero signed digits of v, by its recursive definition (independent of the
// NAF algorithm): an even number needs what its half needs; an odd one needs one digit (+1 or -1)
// plus the better of its two even neighbours.
int min_weight(std::int64_t v, std::map<std::int64_t, int>& memo) {
  if (v == 0) return 0;
  if (v == 1 || v == -1) return 1;
  auto it = memo.find(v);
  if (it != memo.end()) return it->second;
  int w;
  if (v % 2 == 0) {
    w = min_weight(v / 2, memo);
  } else {
    w = 1 + std::min(min_weight((v - 1) / 2, memo), min_weight((v + 1) / 2, memo));
  }
  memo[v] = w;
  return w;
}

}  // namespace

TEST(Naf, ReconstructsValueAndIsNonAdjacent) {
  for (std::int64_t v = -70000; v <= 70000; ++v) {
    const auto d = naf_digits(v);
    std::int64_t sum = 0;
    for (std::size_t i = 0; i < d.size(); ++i) {
      ASSERT_TRUE(d[i] >= -1 && d[i] <= 1);
      sum += d[i] * (std::int64_t{1} << i);
      if (i > 0) {
        ASSERT_FALSE(d[i] != 0 && d[i - 1] != 0) << v;
      }
    }
    ASSERT_EQ(sum, v);
    if (!d.empty()) {
      ASSERT_NE(d.back(), 0) << "leading zero digit for " << v;
    }
  }
}

TEST(Naf, HasMinimumWeight) {
  std::map<std::int64_t, int> memo;
  for (std::int64_t v = -5000; v <= 5000; ++v)
    ASSERT_EQ(naf_weight(v), min_weight(v, memo)) << v;
}

TEST(LpBsd, LevelsEqualAllNonAdjacentDigitVectors) {
  for (int n = 2; n <= 9; ++n) {
    for (int k = 1; k <= (n + 1) / 2; ++k) {
      // Independent construction: every digit vector over n positions with no two adjacent
      // non-zero digits and at most k non-zero digits (each is the NAF of its value).
      std::set<std::int32_t> expected;
      std::function<void(int, int, std::int32_t, bool)> rec = [&](int pos, int used,
                                                                  std::int32_t val, bool prev) {
        if (pos == n) {
          expected.insert(val);
          return;
        }
        rec(pos + 1, used, val, false);
        if (!prev && used < k) {
          rec(pos + 1, used + 1, val + (1 << pos), true);
          rec(pos + 1, used + 1, val - (1 << pos), true);
        }
      };
      rec(0, 0, 0, false);
      const auto levels = lp_bsd_levels({n, k});
      EXPECT_EQ(std::vector<std::int32_t>(expected.begin(), expected.end()), levels)
          << "N=" << n << " k=" << k;
    }
  }
}

TEST(LpBsd, KnownCounts) {
  // k = 1: zero and +-2^i for i < N.
  EXPECT_EQ(lp_bsd_levels({8, 1}).size(), 1u + 2 * 8);
  // k = 2 over 8 positions: 1 + 16 singles + 4 sign pairs x 21 position pairs at distance >= 2.
  EXPECT_EQ(lp_bsd_levels({8, 2}).size(), 1u + 16 + 4 * 21);
}

TEST(LpBsd, RejectsUnsupportedCombinations) {
  EXPECT_THROW(validate_lp_bsd({0, 1}, "t"), UserError);
  EXPECT_THROW(validate_lp_bsd({17, 1}, "t"), UserError);
  EXPECT_THROW(validate_lp_bsd({4, 3}, "t"), UserError);  // at most 2 non-adjacent in 4 positions
  EXPECT_NO_THROW(validate_lp_bsd({4, 2}, "t"));
  try {
    validate_lp_bsd({4, 3}, "t");
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("1..2"), std::string::npos) << e.what();
  }
}

// SD(N, k) against every digit vector in {-1, 0, 1}^N with at most k non-zero digits, and each
// value's fewest-digit form against its value, weight and positions.
TEST(SignedDigits, ValuesEqualAllDigitVectorsAndFormsRebuildThem) {
  for (int n = 1; n <= 8; ++n) {
    for (int k = 1; k <= std::min(3, n); ++k) {
      std::set<std::int32_t> want;
      std::map<std::int32_t, int> fewest;  // least digits of any vector of that value
      std::vector<int> d(static_cast<std::size_t>(n), -1);
      while (true) {
        std::int32_t v = 0;
        int w = 0;
        for (int i = 0; i < n; ++i) {
          v += d[static_cast<std::size_t>(i)] * (1 << i);
          w += d[static_cast<std::size_t>(i)] != 0;
        }
        if (w <= k && v > 0) want.insert(v);
        if (v > 0 && (!fewest.count(v) || w < fewest[v])) fewest[v] = w;
        int i = 0;
        while (i < n && d[static_cast<std::size_t>(i)] == 1)
          d[static_cast<std::size_t>(i++)] = -1;
        if (i == n) break;
        ++d[static_cast<std::size_t>(i)];
      }
      const auto got = signed_digit_values(n, k);
      EXPECT_EQ(std::vector<std::int32_t>(want.begin(), want.end()), got) << n << " " << k;
      for (std::int32_t v = 1; v < (1 << n); ++v) {
        const auto f = signed_digit_form(v, n, k);
        ASSERT_EQ(!f.empty(), want.count(v) == 1) << v;
        if (f.empty()) continue;
        std::int64_t back = 0;
        int w = 0;
        for (std::size_t i = 0; i < f.size(); ++i) {
          back += f[i] * (std::int64_t{1} << i);
          w += f[i] != 0;
        }
        EXPECT_EQ(back, v);
        EXPECT_LE(static_cast<int>(f.size()), n);
        EXPECT_EQ(w, fewest[v]) << v;  // no form within the positions has fewer digits
      }
    }
  }
  // Adjacent digits reach what the NAF cannot within the positions: 12 = 8 + 4.
  const auto lp = lp_bsd_levels({4, 2});
  EXPECT_EQ(std::count(lp.begin(), lp.end(), 12), 0);
  EXPECT_EQ(signed_digit_form(12, 4, 2), (std::vector<int>{0, 0, 1, 1}));
}
