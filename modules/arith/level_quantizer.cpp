#include "modules/arith/level_quantizer.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "modules/base/error.h"

namespace conloc {

LevelQuantizer::LevelQuantizer(std::vector<std::int32_t> levels) : levels_(std::move(levels)) {
  std::sort(levels_.begin(), levels_.end());
  levels_.erase(std::unique(levels_.begin(), levels_.end()), levels_.end());
  CONLOC_ASSERT(!levels_.empty() && std::binary_search(levels_.begin(), levels_.end(), 0),
                "LevelQuantizer", "level set must contain 0");
  for (auto v : levels_) {
    CONLOC_ASSERT(std::binary_search(levels_.begin(), levels_.end(), -v), "LevelQuantizer",
                  "level set must be symmetric");
  }
  max_level_ = levels_.back();
  uniform_ =
      static_cast<std::int64_t>(levels_.size()) == 2 * static_cast<std::int64_t>(max_level_) + 1;
  if (!uniform_) {
    // Magnitudes >= 0, ascending.
    std::vector<std::int32_t> mags;
    for (auto v : levels_) {
      if (v >= 0) mags.push_back(v);
    }
    nearest_by_half_.resize(2 * static_cast<std::size_t>(max_level_) + 1);
    std::size_t j = 0;
    for (std::size_t i = 0; i < nearest_by_half_.size(); ++i) {
      const double centre = 0.5 * static_cast<double>(i) + 0.25;
      while (j + 1 < mags.size() && std::abs(mags[j + 1] - centre) <= std::abs(mags[j] - centre)) {
        ++j;
      }
      nearest_by_half_[i] = mags[j];
    }
  }
}

LevelQuantizer LevelQuantizer::fixed_point(int bits) {
  if (bits < 2 || bits > 16) {
    throw UserError(field_error("fixed-point quantizer", "bits", "unsupported width",
                                std::to_string(bits), "2..16"));
  }
  const std::int32_t m = (1 << (bits - 1)) - 1;
  std::vector<std::int32_t> levels;
  levels.reserve(2 * static_cast<std::size_t>(m) + 1);
  for (std::int32_t v = -m; v <= m; ++v)
    levels.push_back(v);
  return LevelQuantizer(std::move(levels));
}

double LevelQuantizer::choose_scale(const float* w, std::size_t n, std::size_t stride,
                                    ScaleSearch search) const {
  double maxabs = 0.0;
  for (std::size_t i = 0; i < n; ++i)
    maxabs = std::max(maxabs, std::abs(double(w[i * stride])));
  if (maxabs == 0.0) return 1.0;
  const double s0 = maxabs / max_level_;
  if (search == ScaleSearch::MaxAbs) return s0;

  // The error is evaluated exactly on the 16 largest-magnitude weights -- they decide how much
  // clipping costs -- plus an evenly strided sample of at most 128 weights standing for the bulk
  // (each weighted by how many weights it stands for). Channels have hundreds to thousands of
  // weights and ResNet-50 has 26k channels, so the full error would dominate the run time;
  // channels of up to 144 weights are evaluated exactly.
  constexpr std::size_t kTop = 16, kBulk = 128;
  double sample[kTop + kBulk];
  double weight[kTop + kBulk];
  std::size_t ns = 0;
  if (n <= kTop + kBulk) {
    for (std::size_t i = 0; i < n; ++i, ++ns) {
      sample[ns] = w[i * stride];
      weight[ns] = 1.0;
    }
  } else {
    // The largest magnitudes, kept sorted descending (insertion into 16 slots).
    double top[kTop];
    std::size_t nt = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const double v = w[i * stride];
      if (nt == kTop && std::abs(v) <= std::abs(top[kTop - 1])) continue;
      std::size_t j = nt < kTop ? nt++ : kTop - 1;
      while (j > 0 && std::abs(top[j - 1]) < std::abs(v)) {
        top[j] = top[j - 1];
        --j;
      }
      top[j] = v;
    }
    for (std::size_t i = 0; i < kTop; ++i, ++ns) {
      sample[ns] = top[i];
      weight[ns] = 1.0;
    }
    const std::size_t step = (n + kBulk - 1) / kBulk;
    const std::size_t first = ns;
    for (std::size_t i = 0; i < n; i += step)
      sample[ns++] = w[i * stride];
    for (std::size_t i = first; i < ns; ++i)
      weight[i] = static_cast<double>(n - kTop) / (ns - first);
  }
  auto error_at = [&](double s) {
    const double inv = 1.0 / s;
    double err = 0.0;
    for (std::size_t i = 0; i < ns; ++i) {
      const double d = sample[i] - s * nearest(sample[i] * inv);
      err += weight[i] * d * d;
    }
    return err;
  };
  if (search == ScaleSearch::MsePow2) {
    const int e = static_cast<int>(std::ceil(std::log2(s0)));
    double best_s = std::exp2(e), best_err = error_at(best_s);
    for (int k = e - 1; k >= e - 3; --k) {
      const double err = error_at(std::exp2(k));
      if (err < best_err) {
        best_err = err;
        best_s = std::exp2(k);
      }
    }
    return best_s;
  }
  // Candidates s0 * 2^(-j/8), j = 0..15: a coarse pass over every fourth j, then the three
  // neighbours on each side of the best (at most 10 evaluations instead of 16; the same optimum
  // whenever the error is unimodal at that resolution).
  double err[16];
  for (double& e : err)
    e = -1.0;
  auto at = [&](int j) {
    if (err[j] < 0) err[j] = error_at(s0 * std::exp2(-j / 8.0));
    return err[j];
  };
  int best = 0;
  for (int j = 4; j < 16; j += 4) {
    if (at(j) < at(best)) best = j;
  }
  const int lo = std::max(0, best - 3), hi = std::min(15, best + 3);
  for (int j = lo; j <= hi; ++j) {
    if (at(j) < at(best)) best = j;
  }
  return s0 * std::exp2(-best / 8.0);
}

QuantizedTensor LevelQuantizer::quantize(const float* w, std::size_t channels,
                                         std::size_t per_channel, ScaleGranularity granularity,
                                         ScaleSearch search, const std::string& what) const {
  const std::size_t n = channels * per_channel;
  for (std::size_t i = 0; i < n; ++i) {
    if (!std::isfinite(w[i])) {
      throw UserError(field_error(what, "weights[" + std::to_string(i) + "]",
                                  std::isnan(w[i]) ? "weight is NaN" : "weight is infinite", "",
                                  "a finite number"));
    }
  }
  QuantizedTensor out;
  out.q.resize(n);
  if (granularity == ScaleGranularity::PerTensor) {
    out.scale.push_back(choose_scale(w, n, 1, search));
  } else {
    out.scale.resize(channels);
    for (std::size_t c = 0; c < channels; ++c) {
      out.scale[c] = choose_scale(w + c * per_channel, per_channel, 1, search);
    }
  }
  double sig = 0.0, err = 0.0;
  for (std::size_t c = 0; c < channels; ++c) {
    const double s = out.scale_of(c);
    const double inv = 1.0 / s;
    for (std::size_t i = 0; i < per_channel; ++i) {
      const std::size_t k = c * per_channel + i;
      const double v = w[k];
      const std::int32_t q = nearest(v * inv);
      out.q[k] = q;
      const double d = v - s * q;
      sig += v * v;
      err += d * d;
    }
  }
  out.mse = n ? err / static_cast<double>(n) : 0.0;
  out.sqnr_db = err > 0.0 ? 10.0 * std::log10(sig / err) : std::numeric_limits<double>::infinity();
  return out;
}

}  // namespace conloc
