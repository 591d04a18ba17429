#include "modules/arith/requant.h"

#include <algorithm>
#include <cmath>

#include "modules/base/error.h"

namespace conloc {

Requant Requant::from_real(double r) {
  CONLOC_ASSERT(r > 0 && std::isfinite(r), "Requant", "scale factor must be positive");
  Requant q;
  // mult = r * 2^shift in [2^14, 2^15): shift = 14 - floor(log2 r).
  int shift = 14 - static_cast<int>(std::floor(std::log2(r)));
  shift = std::clamp(shift, 1, 62);
  double m = std::round(r * std::ldexp(1.0, shift));
  if (m >= 32768.0) {  // rounding reached 2^15
    --shift;
    m = std::round(r * std::ldexp(1.0, shift));
  }
  q.mult = static_cast<std::int32_t>(std::max(1.0, std::min(m, 32767.0)));
  q.shift = shift;
  return q;
}

Requant2 Requant2::from_real(double ra, double rb) {
  const Requant big = Requant::from_real(std::max(ra, rb));
  Requant2 q;
  q.shift = big.shift;
  q.mult_a = static_cast<std::int32_t>(std::round(ra * std::ldexp(1.0, q.shift)));
  q.mult_b = static_cast<std::int32_t>(std::round(rb * std::ldexp(1.0, q.shift)));
  return q;
}

}  // namespace conloc
