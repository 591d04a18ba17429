#pragma once

#include <cstdint>
#include <vector>

#include "modules/arith/requant.h"
#include "modules/common/int_tensor.h"
#include "modules/common/network.h"

namespace conloc {

// Plain integer reference implementation of every layer type, on whole tensors. The simulated
// accelerator must match it bit for bit. K order of a conv GEMM is (kernel row, kernel column,
// input channel of the group): k = (r * kw + s) * cin_g + ci.

// Patch matrix of one group: a[m][k], zero where the window reads padding.
void im2col(const IntTensor& in, const Layer& l, int group, std::vector<std::int16_t>& a);
// One row of it: the patch of output pixel m (k values written to `row`).
void im2col_row(const IntTensor& in, const Layer& l, int group, std::int64_t m, std::int16_t* row);

// Accumulators [M][Cout] (HWC output order) of a conv / fully-connected layer, wrapped to
// `acc_bits`. `w` holds integer weights [G][N][K].
std::vector<std::int32_t> conv_accumulate(const IntTensor& in, const Layer& l, const Network& net,
                                          const std::int16_t* w, int acc_bits);

// Output stage of a PE-array layer: per channel c, clamp(requant[c](acc + bias[c]), lo, hi).
void output_stage(const std::vector<std::int32_t>& acc, const std::vector<std::int32_t>& bias,
                  const std::vector<Requant>& rq, std::int32_t lo, std::int32_t hi, int acc_bits,
                  IntTensor& out);

void max_pool(const IntTensor& in, const Layer& l, IntTensor& out);
// Average over the window including padding (count = kh * kw), rescaled by rq (1/count).
void avg_pool(const IntTensor& in, const Layer& l, const Requant& rq, std::int32_t lo,
              std::int32_t hi, IntTensor& out);
void residual_add(const IntTensor& a, const IntTensor& b, const Requant2& rq, std::int32_t lo,
                  std::int32_t hi, IntTensor& out);
void relu(const IntTensor& in, std::int32_t lo, std::int32_t hi, IntTensor& out);

}  // namespace conloc
