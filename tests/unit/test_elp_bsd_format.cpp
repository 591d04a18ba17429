#include <algorithm>
#include <gtest/gtest.h>
#include <set>

#include "modules/arith/elp_bsd_format.h"
#include "modules/arith/lp_bsd.h"
#include "modules/arith/naf.h"
#include "modules/base/error.h"

using namespace conloc;

namespace {

std::vector<ElpBsdFormat> all_test_formats() {
  std::vector<ElpBsdFormat> f;
  for (const auto& p : ElpBsdFormat::presets())
    f.emplace_back(p);
  f.emplace_back(ElpBsdParams{"k3", 3, 2, 1, 7});
  f.emplace_back(ElpBsdParams{"k3wide", 3, 2, 2, 12});
  f.emplace_back(ElpBsdParams{"k1small", 1, 2, 0, 3});
  return f;
}

}  // namespace

TEST(ElpBsdFormat, PresetCodeWidthsCoverFourToEightBits) {
  std::set<int> widths;
  for (const auto& p : ElpBsdFormat::presets())
    widths.insert(ElpBsdFormat(p).code_bits());
  for (int w : {4, 5, 6, 8})
    EXPECT_TRUE(widths.count(w)) << w;
}

TEST(ElpBsdFormat, PresetLevelCountsFollowTheLayout) {
  // Counted by hand from docs/elp_bsd.md: zero + 2 signs x (single terms + two-term patterns).
  EXPECT_EQ(ElpBsdFormat::preset("elp4").levels().size(), 1u + 2 * 7);
  EXPECT_EQ(ElpBsdFormat::preset("elp5").levels().size(), 1u + 2 * 3 + 4 * 3);
  EXPECT_EQ(ElpBsdFormat::preset("elp6").levels().size(), 1u + 2 * 3 + 4 * 3 * 3);
  EXPECT_EQ(ElpBsdFormat::preset("elp7").levels().size(), 1u + 2 * 7 + 4 * (3 + 3 + 3 + 3 + 2 + 1));
  // elp8: P <= 7 puts a lone digit at most at position 6, so +-128 is the one LP_BSD(8,2) value
  // it lacks.
  EXPECT_EQ(ElpBsdFormat::preset("elp8").levels().size(), 1u + 2 * 7 + 4 * 21);
}

TEST(ElpBsdFormat, Elp8IsLpBsd82WithoutTheLoneTopDigit) {
  auto lp = lp_bsd_levels({8, 2});
  lp.erase(
      std::remove_if(lp.begin(), lp.end(), [](std::int32_t v) { return v == 128 || v == -128; }),
      lp.end());
  EXPECT_EQ(ElpBsdFormat::preset("elp8").levels(), lp);
}

TEST(ElpBsdFormat, LevelsAreLpBsdSubsets) {
  for (const auto& f : all_test_formats()) {
    const auto lp = lp_bsd_levels({f.params().positions, f.params().terms});
    const std::set<std::int32_t> lps(lp.begin(), lp.end());
    for (auto v : f.levels())
      EXPECT_TRUE(lps.count(v)) << f.name() << " " << v;
  }
}

TEST(ElpBsdFormat, ExhaustiveRoundTripEveryCode) {
  for (const auto& f : all_test_formats()) {
    std::size_t valid = 0;
    for (std::uint32_t c = 0; c < f.code_count(); ++c) {
      if (f.is_valid(c)) {
        ++valid;
        ASSERT_EQ(f.encode(f.decode(c)), c) << f.name() << " code " << c;
      } else {
        ASSERT_FALSE(f.invalid_reason(c).empty());
        ASSERT_THROW(f.decode(c), UserError) << f.name() << " code " << c;
      }
    }
    EXPECT_EQ(valid, f.levels().size()) << f.name();
    // Out-of-width codes are invalid too, not undefined behaviour.
    EXPECT_THROW(f.decode(f.code_count()), UserError);
    EXPECT_THROW(f.decode(0xffffffffu), UserError);
  }
}

TEST(ElpBsdFormat, ExhaustiveRoundTripEveryLevel) {
  for (const auto& f : all_test_formats()) {
    for (auto v : f.levels())
      ASSERT_EQ(f.decode(f.encode(v)), v) << f.name() << " " << v;
  }
}

TEST(ElpBsdFormat, CodeFieldsAreTheNafDigits) {
  for (const auto& f : all_test_formats()) {
    for (auto v : f.levels()) {
      const auto fields = f.fields(f.encode(v));
      std::vector<int> digits(16, 0);
      for (int j = 0; j < f.params().terms; ++j) {
        if (fields.enabled[j]) digits[fields.position[j]] = fields.negate[j] ? -1 : 1;
      }
      auto naf = naf_digits(v);
      naf.resize(16, 0);
      ASSERT_EQ(digits, naf) << f.name() << " " << v;
      ASSERT_EQ(fields.terms, naf_weight(v));
    }
  }
}

TEST(ElpBsdFormat, ZeroIsTheAllZeroCode) {
  for (const auto& f : all_test_formats()) {
    EXPECT_EQ(f.encode(0), 0u);
    EXPECT_EQ(f.decode(0), 0);
    EXPECT_EQ(f.terms_in(0), 0);
  }
}

TEST(ElpBsdFormat, InvalidCodeReasons) {
  const auto f = ElpBsdFormat::preset("elp6");  // S1 | P(2) | S2 | G2(2)
  // P = 0 with another bit set: redundant zero.
  EXPECT_NE(f.invalid_reason(0b100000).find("redundant zero"), std::string::npos);
  // P = 1, G2 = 0, S2 = 1: sign on a disabled term.
  EXPECT_NE(f.invalid_reason(0b001100).find("disabled term"), std::string::npos);
  // P = 3 (position 2) + G2 = 3 (gap 4) -> position 6: fits N = 7.
  EXPECT_TRUE(f.is_valid(0b011011));
  const auto g = ElpBsdFormat::preset("elp5");  // S1 | P(2) | S2 | G2(1), N = 5
  EXPECT_TRUE(g.is_valid(0b01101));             // P = 3 -> positions 2 and 4
  EXPECT_EQ(g.decode(0b01101), 4 + 16);
  EXPECT_EQ(g.decode(0b11111), -4 - 16);
}

TEST(ElpBsdFormat, PositionBeyondNIsInvalid) {
  const auto f = ElpBsdFormat::preset("elp7");  // P(3), G(2), N = 8
  // P = 7 -> position 6; G = 1 -> position 8 > 7.
  const std::uint32_t code = (0u << 6) | (7u << 3) | (0u << 2) | 1u;
  EXPECT_NE(f.invalid_reason(code).find("beyond positions"), std::string::npos);
}

TEST(ElpBsdFormat, UnsupportedParametersAreRejectedWithRange) {
  auto msg = [](ElpBsdParams p) {
    try {
      ElpBsdFormat f(p, "cfg");
    } catch (const UserError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_NE(msg({"x", 4, 2, 1, 8}).find("1..3"), std::string::npos);
  EXPECT_NE(msg({"x", 2, 4, 1, 8}).find("<= 3"), std::string::npos);
  EXPECT_NE(msg({"x", 1, 2, 1, 8}).find("gap_bits"), std::string::npos);
  EXPECT_NE(msg({"x", 2, 2, 0, 8}).find("gap_bits"), std::string::npos);
  EXPECT_NE(msg({"x", 3, 1, 1, 4}).find("positions"), std::string::npos);
  EXPECT_EQ(msg({"x", 2, 2, 1, 5}), "");
}

TEST(ElpBsdFormat, UnknownPresetListsKnownOnes) {
  try {
    ElpBsdFormat::preset("elp99");
    FAIL();
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("elp5"), std::string::npos);
  }
}
