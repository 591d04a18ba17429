#include <algorithm>
#include <cmath>
#include <gtest/gtest.h>
#include <limits>

#include "modules/arith/elp_bsd_format.h"
#include "modules/arith/level_quantizer.h"
#include "modules/base/error.h"
#include "sim/common/rng.h"

using namespace conloc;

TEST(FixedPointQuantizer, RoundsHalfToEvenAndSaturates) {
  const auto q = LevelQuantizer::fixed_point(8);
  EXPECT_TRUE(q.uniform());
  EXPECT_EQ(q.levels().size(), 255u);
  EXPECT_EQ(q.nearest(0.5), 0);
  EXPECT_EQ(q.nearest(1.5), 2);
  EXPECT_EQ(q.nearest(2.5), 2);
  EXPECT_EQ(q.nearest(-2.5), -2);
  EXPECT_EQ(q.nearest(-3.5), -4);
  EXPECT_EQ(q.nearest(126.5), 126);
  EXPECT_EQ(q.nearest(127.49), 127);
  EXPECT_EQ(q.nearest(1e9), 127);
  EXPECT_EQ(q.nearest(-1e9), -127);
}

// nearest() rounds without libm (an add-and-subtract trick); it must equal std::nearbyint
// saturated at +-m for every width, at every tie, near the limits and on random values.
TEST(FixedPointQuantizer, NearestEqualsLibmRoundingSaturated) {
  Rng rng(7);
  for (int b = 2; b <= 16; ++b) {
    const auto q = LevelQuantizer::fixed_point(b);
    const double m = q.max_level();
    std::vector<double> xs = {
        0.0,     -0.0,     1e-300,  -1e-300,  0.49999999999999994, m,     -m,
        m + 0.5, -m - 0.5, m - 0.5, -m + 0.5, m - 0.5000001,       1e300, -1e300};
    for (double t = -m - 3; t <= m + 3; t += 0.5)
      xs.push_back(t);  // every tie and integer
    for (int i = 0; i < 2000; ++i)
      xs.push_back((rng.uniform() * 2 - 1) * (m + 2));
    for (double x : xs) {
      const double want = std::clamp(std::nearbyint(x), -m, m);
      ASSERT_EQ(q.nearest(x), static_cast<std::int32_t>(want)) << "bits " << b << " x " << x;
    }
  }
}

TEST(FixedPointQuantizer, SupportedWidths) {
  EXPECT_THROW(LevelQuantizer::fixed_point(1), UserError);
  EXPECT_THROW(LevelQuantizer::fixed_point(17), UserError);
  for (int b = 2; b <= 16; ++b) {
    EXPECT_EQ(LevelQuantizer::fixed_point(b).max_level(), (1 << (b - 1)) - 1);
  }
}

TEST(LevelQuantizer, NonUniformPicksNearestTiesAwayFromZero) {
  const auto fmt = ElpBsdFormat::preset("elp5");
  const LevelQuantizer q(fmt.levels());
  ASSERT_FALSE(q.uniform());
  for (double x = -25.0; x <= 25.0; x += 0.03125) {
    const std::int32_t got = q.nearest(x);
    double best = std::numeric_limits<double>::infinity();
    for (auto l : fmt.levels())
      best = std::min(best, std::abs(x - l));
    ASSERT_DOUBLE_EQ(std::abs(x - got), best) << x;
  }
  // 6 and 10 are neighbours in elp5: 8 is the tie point.
  EXPECT_EQ(q.nearest(8.0), 10);
  EXPECT_EQ(q.nearest(-8.0), -10);
  EXPECT_EQ(q.nearest(7.99), 6);
}

TEST(LevelQuantizer, MseAndSqnrMatchDefinition) {
  const auto q = LevelQuantizer::fixed_point(4);  // levels -7..7
  // Dyadic values: scale 1/16 and every ratio are exact, so the tie at -3.5 really is a tie.
  const float w[4] = {0.4375f, -0.21875f, 0.0625f, 0.0f};
  const auto r = q.quantize(w, 1, 4, ScaleGranularity::PerTensor, ScaleSearch::MaxAbs, "t");
  ASSERT_EQ(r.scale.size(), 1u);
  EXPECT_DOUBLE_EQ(r.scale[0], 0.0625);
  EXPECT_EQ(r.q, (std::vector<std::int32_t>{7, -4, 1, 0}));  // -3.5 -> -4 (ties to even)
  double sig = 0, err = 0;
  for (int i = 0; i < 4; ++i) {
    sig += double(w[i]) * w[i];
    const double d = w[i] - r.scale[0] * r.q[i];
    err += d * d;
  }
  EXPECT_NEAR(r.mse, err / 4, 1e-15);
  EXPECT_NEAR(r.sqnr_db, 10 * std::log10(sig / err), 1e-9);
}

TEST(LevelQuantizer, PerChannelBeatsPerTensorOnUnevenChannels) {
  Rng rng(7);
  std::vector<float> w(2 * 256);
  for (int i = 0; i < 256; ++i)
    w[i] = float(rng.laplace(1.0));
  for (int i = 256; i < 512; ++i)
    w[i] = float(rng.laplace(0.01));
  const auto q = LevelQuantizer::fixed_point(6);
  const auto pc = q.quantize(w.data(), 2, 256, ScaleGranularity::PerChannel, ScaleSearch::Mse, "t");
  const auto pt = q.quantize(w.data(), 2, 256, ScaleGranularity::PerTensor, ScaleSearch::Mse, "t");
  EXPECT_EQ(pc.scale.size(), 2u);
  EXPECT_EQ(pt.scale.size(), 1u);
  // The small channel: a tensor-wide scale rounds almost all of it to zero.
  auto small_channel_error = [&](const QuantizedTensor& r) {
    double e = 0;
    for (int i = 256; i < 512; ++i) {
      const double d = w[i] - r.scale_of(1) * r.q[i];
      e += d * d;
    }
    return e;
  };
  EXPECT_LT(small_channel_error(pc), 0.01 * small_channel_error(pt));
}

TEST(LevelQuantizer, MseSearchNeverWorseThanMaxAbs) {
  Rng rng(11);
  std::vector<float> w(64 * 100);
  for (auto& v : w)
    v = float(rng.laplace(0.05));
  for (const auto& levels :
       {LevelQuantizer::fixed_point(4).levels(), ElpBsdFormat::preset("elp5").levels(),
        ElpBsdFormat::preset("elp4").levels()}) {
    const LevelQuantizer q(levels);
    const auto a =
        q.quantize(w.data(), 64, 100, ScaleGranularity::PerChannel, ScaleSearch::MaxAbs, "t");
    const auto b =
        q.quantize(w.data(), 64, 100, ScaleGranularity::PerChannel, ScaleSearch::Mse, "t");
    EXPECT_LE(b.mse, a.mse * (1 + 1e-12));
  }
}

TEST(LevelQuantizer, Pow2SearchGivesPowerOfTwoScales) {
  Rng rng(3);
  std::vector<float> w(8 * 64);
  for (auto& v : w)
    v = float(rng.laplace(0.1));
  const LevelQuantizer q(ElpBsdFormat::preset("elp6").levels());
  const auto r =
      q.quantize(w.data(), 8, 64, ScaleGranularity::PerChannel, ScaleSearch::MsePow2, "t");
  for (double s : r.scale)
    EXPECT_EQ(std::exp2(std::round(std::log2(s))), s);
}

TEST(LevelQuantizer, NonFiniteWeightNamesIndex) {
  std::vector<float> w(10, 0.5f);
  w[7] = std::numeric_limits<float>::quiet_NaN();
  const auto q = LevelQuantizer::fixed_point(8);
  try {
    q.quantize(w.data(), 2, 5, ScaleGranularity::PerChannel, ScaleSearch::Mse, "layer conv1");
    FAIL() << "expected an error";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("layer conv1"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("weights[7]"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("NaN"), std::string::npos) << e.what();
  }
  w[7] = std::numeric_limits<float>::infinity();
  EXPECT_THROW(q.quantize(w.data(), 2, 5, ScaleGranularity::PerChannel, ScaleSearch::Mse, "x"),
               UserError);
}

// Large channels with a few outliers: the search evaluates a sample, and it must still see what
// clipping the outliers costs (a strided sample alone misses them and clips far too much).
TEST(LevelQuantizer, MseSearchAccountsForOutliersInLargeChannels) {
  Rng rng(21);
  const std::size_t per = 2000;
  std::vector<float> w(8 * per);
  for (auto& v : w)
    v = float(rng.laplace(0.02));
  for (std::size_t c = 0; c < 8; ++c) {
    for (int k = 0; k < 5; ++k)
      w[c * per + 37 * k + c] = (k % 2 ? -1.0f : 1.0f) * float(0.3 + 0.05 * k);
  }
  for (const auto& levels :
       {LevelQuantizer::fixed_point(8).levels(), LevelQuantizer::fixed_point(6).levels(),
        ElpBsdFormat::preset("elp5").levels(), ElpBsdFormat::preset("elp8").levels()}) {
    const LevelQuantizer q(levels);
    const auto a =
        q.quantize(w.data(), 8, per, ScaleGranularity::PerChannel, ScaleSearch::MaxAbs, "t");
    const auto b =
        q.quantize(w.data(), 8, per, ScaleGranularity::PerChannel, ScaleSearch::Mse, "t");
    // The search may only improve on no clipping (small slack: the sample is not the channel).
    EXPECT_LE(b.mse, a.mse * 1.05) << "levels up to " << q.max_level();
  }
}
