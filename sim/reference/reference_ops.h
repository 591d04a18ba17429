#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "modules/arith/requant.h"
#include "modules/common/int_tensor.h"
#include "modules/common/network.h"
#include "modules/dataflow/gemm_kernel.h"

namespace conloc {

// Plain integer reference implementation of every layer type, on whole tensors. The simulated
// accelerator must match it bit for bit. K order of a conv GEMM is (kernel row, kernel column,
// input channel of the group): k = (r * kw + s) * cin_g + ci.

// One patch row of any element type: data is an HWC tensor of shape `s`; the row of output pixel
// `m` of group `group` (k = (r * kw + c) * cin_g + ci) is written to `row`, zero where the window
// reads padding.
template <class T>
void im2col_row_of(const T* data, const TensorShape& s, const Layer& l, int group, std::int64_t m,
                   T* row) {
  const int cin_g = s.c / l.groups;
  const int ow = l.out_w(s.w);
  const int y = static_cast<int>(m / ow), x = static_cast<int>(m % ow);
  const int y0 = y * l.stride_h - l.pad_t, x0 = x * l.stride_w - l.pad_l;
  if (l.groups == 1 && !l.dilated() && y0 >= 0 && x0 >= 0 && y0 + l.kh <= s.h && x0 + l.kw <= s.w) {
    // Window inside the tensor, all channels: each kernel row is one contiguous run of the HWC
    // input (the common case, and the hot loop of `accuracy`).
    const int run = l.kw * s.c;
    for (int r = 0; r < l.kh; ++r) {
      const T* src = data + (std::int64_t{y0 + r} * s.w + x0) * s.c;
      T* dst = row + std::int64_t{r} * run;
      for (int i = 0; i < run; ++i)
        dst[i] = src[i];
    }
    return;
  }
  std::fill(row, row + std::int64_t{l.kh} * l.kw * cin_g, T{0});
  for (int r = 0; r < l.kh; ++r) {
    const int iy = y0 + r * l.dil_h;
    if (iy < 0 || iy >= s.h) continue;
    for (int c = 0; c < l.kw; ++c) {
      const int ix = x0 + c * l.dil_w;
      if (ix < 0 || ix >= s.w) continue;
      const T* src = data + (std::int64_t{iy} * s.w + ix) * s.c + std::int64_t{group} * cin_g;
      T* dst = row + (std::int64_t{r} * l.kw + c) * cin_g;
      for (int i = 0; i < cin_g; ++i)  // often one or a few values: no library call
        dst[i] = src[i];
    }
  }
}

// Patch matrix of one group: a[m][k], zero where the window reads padding.
void im2col(const IntTensor& in, const Layer& l, int group, std::vector<std::int16_t>& a);
// One row of it: the patch of output pixel m (k values written to `row`).
void im2col_row(const IntTensor& in, const Layer& l, int group, std::int64_t m, std::int16_t* row);

// Accumulators [M][Cout] (HWC output order) of a conv / fully-connected layer, wrapped to
// `acc_bits`. `w` holds integer weights [G][N][K].
std::vector<std::int32_t> conv_accumulate(const IntTensor& in, const Layer& l, const Network& net,
                                          const std::int16_t* w, int acc_bits);
// The same with each group's weights packed once (integer inference over many images).
void conv_accumulate(const IntTensor& in, const Layer& l, const Network& net,
                     const std::vector<PackedWeights>& w, int acc_bits,
                     std::vector<std::int32_t>& acc);
// The same into `acc` (resized; its storage reused across calls).
void conv_accumulate(const IntTensor& in, const Layer& l, const Network& net, const std::int16_t* w,
                     int acc_bits, std::vector<std::int32_t>& acc);

// Output stage of a PE-array layer: per channel c, clamp(requant[c](acc + bias[c]), lo, hi).
void output_stage(const std::vector<std::int32_t>& acc, const std::vector<std::int32_t>& bias,
                  const std::vector<Requant>& rq, std::int32_t lo, std::int32_t hi, int acc_bits,
                  IntTensor& out);

}  // namespace conloc
