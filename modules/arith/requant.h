#pragma once

#include <cstdint>

namespace conloc {

// Fixed-point rescale used by the output stage (compensation adder) and the vector unit:
//   y = clamp((x * mult + 2^(shift-1)) >> shift, lo, hi)
// with a 15-bit unsigned multiplier, i.e. round-half-up of x * mult / 2^shift. The real factor r
// is represented as mult / 2^shift with mult in [2^14, 2^15), a relative error below 2^-14.
struct Requant {
  std::int32_t mult = 1 << 14;
  int shift = 14;

  static Requant from_real(double r);
  std::int64_t apply(std::int64_t x) const {
    return (x * mult + (std::int64_t{1} << (shift - 1))) >> shift;
  }
};

inline std::int32_t clamp_to(std::int64_t v, std::int32_t lo, std::int32_t hi) {
  return static_cast<std::int32_t>(v < lo ? lo : v > hi ? hi : v);
}

// Two factors over a common shift (residual add: y = a * ra + b * rb).
struct Requant2 {
  std::int32_t mult_a = 0, mult_b = 0;
  int shift = 14;
  static Requant2 from_real(double ra, double rb);
  std::int64_t apply(std::int64_t a, std::int64_t b) const {
    return (a * mult_a + b * mult_b + (std::int64_t{1} << (shift - 1))) >> shift;
  }
};

}  // namespace conloc
