#pragma once

#include <cstdint>
#include <vector>

#include "modules/common/network.h"

namespace conloc {

// A quantized activation tensor: HWC integers (8 bits or fewer, held in int16 for fast GEMM),
// signed (two's complement) or unsigned, with its real scale (real = scale * value).
struct IntTensor {
  TensorShape shape;
  bool is_signed = true;
  double scale = 1.0;
  std::vector<std::int16_t> data;
};

// The integer range of an activation tensor: unsigned 0..2^bits-1 or symmetric signed.
inline std::int32_t act_max(int bits, bool is_signed) {
  return is_signed ? (1 << (bits - 1)) - 1 : (1 << bits) - 1;
}
inline std::int32_t act_min(int bits, bool is_signed) {
  return is_signed ? -act_max(bits, true) : 0;
}

}  // namespace conloc
