// ELP_BSD v2: level sets chosen for the weight distribution (docs/elp_bsd.md, section 7).
#include <algorithm>
#include <cmath>
#include <gtest/gtest.h>
#include <limits>

#include "modules/arith/elp_lut_mac.h"
#include "modules/arith/level_set_search.h"
#include "modules/arith/lp_bsd.h"
#include "modules/arith/naf.h"
#include "modules/base/error.h"

using namespace conloc;

namespace {

MacWidths widths(bool is_signed) {
  MacWidths w;
  w.activation_bits = 8;
  w.activation_signed = is_signed;
  w.accumulator_bits = 32;
  return w;
}

}  // namespace

// Every code decodes (no invalid codes); the levels are 2^b - 1 symmetric values, each a sum of
// at most k signed powers of two below position N; encode inverts decode.
TEST(ElpLutFormat, EveryCodeDecodesAndLevelsAreFewTermValues) {
  for (const auto& p : ElpLutFormat::presets()) {
    const ElpLutFormat f = ElpLutFormat::preset(p.name);
    EXPECT_EQ(f.levels().size(), (1u << p.code_bits) - 1) << p.name;
    for (std::int32_t m : f.magnitudes()) {
      EXPECT_LE(naf_weight(m), p.terms) << p.name << " " << m;
      EXPECT_LT(m, 1 << p.positions) << p.name;
    }
    for (std::uint32_t c = 0; c < f.code_count(); ++c) {
      const std::int32_t v = f.decode(c);  // must not throw
      EXPECT_EQ(f.decode(f.encode(v)), v);
      // The decoder's fields rebuild the value.
      const ElpBsdFields fl = f.fields(c);
      std::int64_t sum = 0;
      for (int j = 0; j < fl.terms; ++j)
        sum += (fl.negate[j] ? -1 : 1) * (std::int64_t{1} << fl.position[j]);
      EXPECT_EQ(sum, v) << p.name << " code " << c;
    }
    EXPECT_THROW(f.decode(f.code_count()), UserError);
    EXPECT_THROW(f.encode(f.magnitudes().back() + 1), UserError);
  }
}

// Every code x every 8-bit activation, signed and unsigned: acc + a * decode(code).
TEST(ElpLutMac, ExhaustiveEqualsDecodedProduct) {
  for (const auto& p : ElpLutFormat::presets()) {
    for (bool is_signed : {true, false}) {
      const ElpLutMac mac(ElpLutFormat::preset(p.name), widths(is_signed));
      const int lo = is_signed ? -128 : 0, hi = is_signed ? 127 : 255;
      for (std::uint32_t c = 0; c < (1u << p.code_bits); ++c) {
        const std::int64_t w = mac.decode(c);
        for (int a = lo; a <= hi; ++a) {
          for (std::int64_t acc : {std::int64_t{0}, std::int64_t{-4242}})
            ASSERT_EQ(mac.mac(acc, a, c), acc + a * w) << p.name << " code " << c << " a " << a;
        }
      }
    }
  }
}

// A layer of another v2 format on a loadable-decoder PE (design.layer_formats): its values are its
// own format's; its b-bit code S | I is the PE code S at the PE's top bit, I kept (the table's low
// entries); its datapath, decoder read, weight register and table words are the PE's, so a code's
// cells equal those of the PE's own code with as many terms; its table load is its own entries.
TEST(ElpLutMac, ALayerOnALoadableDecoderPeUsesThePesDatapath) {
  const ElpLutFormat pe = ElpLutFormat::preset("elp6v2l");
  const ElpLutMac own(pe, widths(true));
  for (const char* name : {"elp3v2", "elp4v2", "elp5v2l", "elp6v2"}) {
    const ElpLutFormat f = ElpLutFormat::preset(name);
    const ElpLutMac mac(f, widths(true), pe);
    const int b = f.code_bits();
    EXPECT_EQ(mac.code_bits(), b) << name;
    EXPECT_EQ(mac.pe_code_bits(), 6) << name;
    EXPECT_EQ(mac.weight_register_bits(), own.weight_register_bits()) << name;
    EXPECT_EQ(mac.term_bits(), own.term_bits()) << name;
    EXPECT_EQ(mac.weight_fetch_cells().mux2, own.weight_fetch_cells().mux2) << name;
    EXPECT_EQ(mac.layer_setup_cells().dff, ((1 << (b - 1)) - 1) * 2.0 * (2 + 3)) << name;
    for (std::uint32_t c = 0; c < (1u << b); ++c) {
      const std::int64_t w = f.decode(c);
      EXPECT_EQ(mac.decode(c), w);
      for (int a : {-128, -3, 0, 1, 77, 127})
        ASSERT_EQ(mac.mac(5, a, c), 5 + a * w) << name << " code " << c;
      const std::uint32_t index = c & ((1u << (b - 1)) - 1u), sign = c >> (b - 1);
      EXPECT_EQ(mac.pe_code(c), (sign << 5) | index) << name << " code " << c;
      // The PE's own code with the same number of terms switches the same cells.
      const int t = f.fields(c).terms;
      for (std::uint32_t q = 0; q < 64; ++q) {
        if (pe.fields(q).terms != t) continue;
        const CellCounts x = mac.cells(mac.actions(c)), y = own.cells(own.actions(q));
        EXPECT_EQ(transistor_equivalents(x), transistor_equivalents(y)) << name << " code " << c;
        EXPECT_EQ(transistor_equivalents(mac.pass_cells(mac.actions(c))),
                  transistor_equivalents(own.pass_cells(own.actions(q))));
        break;
      }
    }
  }
}

// A MAC characterisation keys a loadable decoder's PE codes by the level the entry holds: the same
// code index holds another magnitude, so another datapath setting, in every layer. A fixed
// decoder keeps its codes.
TEST(ElpLutMac, ALoadableDecoderIsCharacterisedByTheLevelItHolds) {
  const ElpLutFormat pe = ElpLutFormat::preset("elp8v2l");
  for (const char* name : {"elp3v2", "elp5v2l", "elp7v2", "elp8v2l"}) {
    const ElpLutMac mac(ElpLutFormat::preset(name), widths(true), pe);
    EXPECT_STREQ(mac.energy_keyed_by(), "level") << name;
    for (std::int32_t v : mac.quantizer().levels()) {
      const auto m = static_cast<std::uint32_t>(v < 0 ? -v : v);
      EXPECT_EQ(mac.energy_key(mac.pe_code(mac.encode(v))), 2 * m + (v < 0 ? 1u : 0u))
          << name << " level " << v;
    }
  }
  // Two level sets of one PE: index 1 holds 1 in one and 3 in the other.
  ElpLutParams p = pe.params();
  std::vector<std::int32_t> a, b;
  for (std::int32_t m : signed_digit_values(p.positions, p.terms)) {
    if (a.size() < 127) a.push_back(m);
    if (m >= 3 && b.size() < 127) b.push_back(m);
  }
  const ElpLutMac ma(ElpLutFormat(p, a), widths(true)), mb(ElpLutFormat(p, b), widths(true));
  EXPECT_EQ(ma.energy_key(1), 2u);
  EXPECT_EQ(mb.energy_key(1), 6u);
  EXPECT_EQ(mb.energy_key(1u | 128u), 7u);
  EXPECT_EQ(mb.energy_key(0), 0u);
  const ElpLutMac fixed_decoder(ElpLutFormat::preset("elp5v2"), widths(true));
  EXPECT_STREQ(fixed_decoder.energy_keyed_by(), "code");
  for (std::uint32_t c = 0; c < 32; ++c)
    EXPECT_EQ(fixed_decoder.energy_key(c), c);
}

// The dynamic programme finds the best subset at each scale: against trying every subset of a
// small candidate set at the same scales, it is never worse -- from sets that skip most
// candidates to sets that skip one or none (the programme visits only states a whole set can
// pass through); and with the integers 1..m as candidates it returns them (uniform).
TEST(LevelSetSearch, MatchesExhaustiveSearchOnSmallSets) {
  const std::vector<std::int32_t> cand = {1, 2, 3, 4, 6, 8, 12, 16, 24};
  for (int count : {1, 2, 3, 4, 6, 7, 8, 9}) {
    const LevelSetChoice dp = best_laplace_levels(cand, count);
    double brute = 1e9;
    const int n = static_cast<int>(cand.size());
    for (int mask = 0; mask < (1 << n); ++mask) {
      if (__builtin_popcount(static_cast<unsigned>(mask)) != count) continue;
      std::vector<std::int32_t> m;
      for (int i = 0; i < n; ++i)
        if (mask >> i & 1) m.push_back(cand[static_cast<std::size_t>(i)]);
      brute = std::min(brute, laplace_mse(m, dp.scale));
    }
    EXPECT_LE(dp.mse, brute * (1 + 1e-12)) << count;
    EXPECT_NEAR(dp.mse, laplace_mse(dp.magnitudes, dp.scale), 1e-12);
  }
  const LevelSetChoice u = best_laplace_levels({1, 2, 3, 4, 5, 6, 7}, 7);
  EXPECT_EQ(u.magnitudes, (std::vector<std::int32_t>{1, 2, 3, 4, 5, 6, 7}));
}

TEST(ElpLutFormat, BadParametersAreErrors) {
  EXPECT_THROW(ElpLutFormat({"x", 9, 2, 8, false, {}, 0.0}), UserError);
  // 127 magnitudes, 8 one-term values.
  EXPECT_THROW(ElpLutFormat({"x", 8, 1, 8, false, {}, 0.0}), UserError);
  EXPECT_THROW(ElpLutFormat({"x", 5, 4, 8, false, {}, 0.0}), UserError);
}

// A per-layer set is chosen from the layer's own weights: on a tensor whose distribution is not
// Laplace (uniform magnitudes here) it beats the Laplace-chosen set, and it is a valid format.
TEST(LevelSetSearch, EmpiricalSetFitsItsDistribution) {
  std::vector<double> uniform;
  for (int i = 0; i < 4000; ++i)
    uniform.push_back((i % 2 ? -1.0 : 1.0) * (i % 1000) / 1000.0);
  const auto cand = lp_bsd_levels({8, 2});
  const LevelSetChoice e = best_empirical_levels(uniform, cand, 15);
  const ElpLutFormat own({"own", 5, 2, 8, true, {}, 0.0}, e.magnitudes);
  EXPECT_EQ(own.levels().size(), 31u);
  EXPECT_GT(own.table_bits(), 0);
  // Mean squared error of the Laplace-chosen set on the same data, at its best scale.
  const LevelSetChoice lap = best_laplace_levels(cand, 15);
  auto mse_of = [&](const std::vector<std::int32_t>& m) {
    double best = 1e9;
    for (int s = 0; s < 400; ++s) {
      const double scale = 1.5 / m.back() * std::pow(2.0, -s / 100.0);
      double err = 0;
      for (double x : uniform) {
        double q = 0, d = std::abs(x);
        for (std::int32_t v : m)
          if (std::abs(d - scale * v) < std::abs(d - q)) q = scale * v;
        err += (d - q) * (d - q);
      }
      best = std::min(best, err / uniform.size());
    }
    return best;
  };
  EXPECT_LT(mse_of(e.magnitudes), 0.9 * mse_of(lap.magnitudes));
}

// A price per term trades accuracy for fewer terms: the expected terms of the level a Laplace
// weight rounds to fall (or stay) as the price rises, the error rises (or stays), and price 0 is
// the plain search.
TEST(LevelSetSearch, TermPriceTradesErrorForTerms) {
  const auto cand = signed_digit_values(7, 2);
  auto terms = [](std::int32_t v) { return sd_terms(v, 7, 2); };
  // Expected terms per weight of a set at its scale (Laplace(0, 1) on |w|: density e^-x).
  auto expected_terms = [&](const LevelSetChoice& c) {
    double prev = 0, t = 0;
    for (std::size_t i = 0; i < c.magnitudes.size(); ++i) {
      const double l = c.scale * c.magnitudes[i];
      const double lo = i == 0 ? 0.5 * l : 0.5 * (prev + l);
      const double hi = i + 1 < c.magnitudes.size() ? 0.5 * (l + c.scale * c.magnitudes[i + 1])
                                                    : std::numeric_limits<double>::infinity();
      t += terms(c.magnitudes[i]) * (std::exp(-lo) - (std::isinf(hi) ? 0.0 : std::exp(-hi)));
      prev = l;
    }
    return t;
  };
  const LevelSetChoice plain = best_laplace_levels(cand, 31);
  EXPECT_EQ(best_laplace_levels(cand, 31, {0.0, terms}).magnitudes, plain.magnitudes);
  double last_terms = expected_terms(plain), last_mse = plain.mse;
  for (double price : {0.05, 0.2, 1.0}) {
    const LevelSetChoice c = best_laplace_levels(cand, 31, {price, terms});
    EXPECT_LE(expected_terms(c), last_terms + 1e-9) << price;
    EXPECT_GE(c.mse, last_mse - 1e-12) << price;
    EXPECT_NEAR(c.mse, laplace_mse(c.magnitudes, c.scale), 1e-9);  // mse is the error alone
    last_terms = expected_terms(c);
    last_mse = c.mse;
  }
  EXPECT_LT(last_terms, expected_terms(plain) - 0.05);
}
