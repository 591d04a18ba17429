#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>

namespace conloc {

// Small deterministic generator (xoshiro256**, seeded by splitmix64) with distribution transforms
// written out here, so synthetic weights and inputs are identical on every platform and library
// (std:: distributions are implementation-defined).
class Rng {
 public:
  explicit Rng(std::uint64_t seed) {
    for (auto& s : s_) {
      seed += 0x9e3779b97f4a7c15ull;
      std::uint64_t z = seed;
      z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
      z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
      s = z ^ (z >> 31);
    }
  }

  std::uint64_t next() {
    const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }

  // Uniform in (0, 1): never 0, so log() below is finite.
  double uniform() { return (static_cast<double>(next() >> 11) + 0.5) * 0x1.0p-53; }

  // Laplace(0, b) by inverse CDF. Synthetic networks draw tens of millions of these, so the
  // logarithm is a short series (relative error below 1e-6) instead of libm's.
  double laplace(double b) {
    const double u = uniform() - 0.5;
    return -b * (u < 0 ? -1.0 : 1.0) * fast_log(1.0 - 2.0 * std::abs(u));
  }

  // log(x) for normal x > 0: x = m 2^e with m in [1, 2) read from the bits; log m = 2 atanh(t),
  // t = (m-1)/(m+1) in [0, 1/3).
  static double fast_log(double x) {
    std::uint64_t bits;
    std::memcpy(&bits, &x, sizeof bits);
    const int e = static_cast<int>((bits >> 52) & 0x7ff) - 1023;
    bits = (bits & 0x000fffffffffffffull) | 0x3ff0000000000000ull;
    double m;
    std::memcpy(&m, &bits, sizeof m);
    const double t = (m - 1.0) / (m + 1.0), t2 = t * t;
    const double series =
        t *
        (2.0 + t2 * (2.0 / 3 +
                     t2 * (2.0 / 5 +
                           t2 * (2.0 / 7 + t2 * (2.0 / 9 + t2 * (2.0 / 11 + t2 * (2.0 / 13)))))));
    return e * 0.6931471805599453 + series;
  }

  // Standard normal by Box-Muller (one of the pair).
  double normal() {
    const double u1 = uniform(), u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }

 private:
  static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::uint64_t s_[4];
};

}  // namespace conloc
