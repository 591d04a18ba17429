#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

namespace conloc {

enum class ScaleGranularity { PerChannel, PerTensor };

// How the scale of a channel (or tensor) is chosen. MaxAbs maps the largest |w| onto the largest
// level. Mse tries MaxAbs / 2^(j/8) for j = 0..15 (clipping up to two octaves of outliers) and
// keeps the one with the least squared error. MsePow2 tries the powers of two around MaxAbs, so
// the rescale is a shift.
enum class ScaleSearch { MaxAbs, Mse, MsePow2 };

struct QuantizedTensor {
  std::vector<std::int32_t> q;  // integer levels, same layout as the input
  std::vector<double> scale;    // one per channel (PerChannel) or a single entry (PerTensor)
  double mse = 0.0;             // mean squared error in the real domain
  double sqnr_db = 0.0;         // 10 log10(sum w^2 / sum (w - s q)^2); +inf when exact

  double scale_of(std::size_t channel) const {
    return scale.size() == 1 ? scale[0] : scale[channel];
  }
};

// Rounds real values onto a symmetric integer level set. A uniform set {-m..m} is the symmetric
// fixed-point grid and rounds to nearest, ties to even (IEEE default), saturating at +-m. Any other
// set rounds to the nearest level, ties away from zero, saturating at the largest level.
class LevelQuantizer {
 public:
  explicit LevelQuantizer(std::vector<std::int32_t> levels);

  // Symmetric N-bit fixed point: levels -(2^(N-1)-1) .. 2^(N-1)-1 (N = 2..16).
  static LevelQuantizer fixed_point(int bits);

  const std::vector<std::int32_t>& levels() const { return levels_; }
  std::int32_t max_level() const { return max_level_; }
  bool uniform() const { return uniform_; }

  // Nearest level to x (x in level units). Inline: it is the inner loop of every quantization.
  std::int32_t nearest(double x) const {
    if (uniform_) {
      // Saturate first; then |x| < 2^15 and adding and removing 1.5 x 2^52 rounds it to the
      // nearest integer, ties to even (the default rounding mode), exactly as std::nearbyint
      // does -- without its library call, which a build for plain x86-64 cannot inline and which
      // was a tenth of a compile (the scale search calls this ~40 M times on ResNet-50).
      if (!(x < max_level_)) return max_level_;
      if (!(x > -max_level_)) return -max_level_;
      // (IEEE arithmetic, no -ffast-math: the compiler may not fold the two adds away.)
      constexpr double kRound = 6755399441055744.0;  // 1.5 x 2^52
      return static_cast<std::int32_t>((x + kRound) - kRound);
    }
    // 2|x| >= 0, so truncation is its floor; a NaN saturates like a value past the table.
    const double a = 2.0 * std::abs(x);
    const std::int32_t mag = a < static_cast<double>(nearest_by_half_.size())
                                 ? nearest_by_half_[static_cast<std::size_t>(a)]
                                 : max_level_;
    return x < 0 ? -mag : mag;
  }

  // Quantizes w (channels x per_channel, row-major). Non-finite weights are a UserError naming
  // `what` and the flat index.
  QuantizedTensor quantize(const float* w, std::size_t channels, std::size_t per_channel,
                           ScaleGranularity granularity, ScaleSearch search,
                           const std::string& what) const;

  // Scale that the search picks for one group of weights (exposed for tests and the compensation
  // pipeline, which quantizes with a fixed scale).
  double choose_scale(const float* w, std::size_t n, std::size_t stride, ScaleSearch search) const;

 private:
  std::vector<std::int32_t> levels_;
  std::int32_t max_level_ = 0;
  bool uniform_ = false;
  // nearest_by_half_[i]: nearest level magnitude for |x| in [i/2, (i+1)/2). Level midpoints are
  // multiples of 1/2, so a half-unit bin never straddles a decision boundary.
  std::vector<std::int32_t> nearest_by_half_;
};

}  // namespace conloc
