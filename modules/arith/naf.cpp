#include "modules/arith/naf.h"

namespace conloc {

std::vector<int> naf_digits(std::int64_t v) {
  std::vector<int> digits;
  while (v != 0) {
    int d = 0;
    if (v & 1) {
      // v mod 4 == 1 -> +1, == 3 -> -1: this choice makes the next digit 0.
      d = 2 - static_cast<int>(((v % 4) + 4) % 4);
      v -= d;
    }
    digits.push_back(d);
    v /= 2;
  }
  return digits;
}

int naf_weight(std::int64_t v) {
  int w = 0;
  for (int d : naf_digits(v))
    w += d != 0;
  return w;
}

}  // namespace conloc
