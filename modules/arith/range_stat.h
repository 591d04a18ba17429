#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

namespace conloc {

// The magnitude calibration maps to an activation tensor's top level: the largest seen
// (percentile 100, min/max) or the given percentile of all magnitudes seen.
class RangeStat {
 public:
  explicit RangeStat(double percentile) : pct_(percentile) {}
  void add(double v) {
    v = std::abs(v);
    max_ = std::max(max_, v);
    if (pct_ < 100.0) mags_.push_back(static_cast<float>(v));
  }
  // `v` seen `n` times.
  void add(double v, std::size_t n) {
    if (n == 0) return;
    v = std::abs(v);
    max_ = std::max(max_, v);
    if (pct_ < 100.0) mags_.insert(mags_.end(), n, static_cast<float>(v));
  }
  double value() {
    if (pct_ >= 100.0 || mags_.empty()) return max_;
    const auto i = static_cast<std::size_t>(pct_ / 100.0 * static_cast<double>(mags_.size() - 1));
    std::nth_element(mags_.begin(), mags_.begin() + static_cast<std::ptrdiff_t>(i), mags_.end());
    return mags_[i];
  }

 private:
  double pct_;
  double max_ = 0.0;
  std::vector<float> mags_;
};

}  // namespace conloc
