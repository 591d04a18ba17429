#pragma once

#include <cstdint>

namespace conloc {

// acc[m][n] (+)= sum_k a[m][k] * w[n][k] on int16 operands with int32 accumulation; the wrap to
// the configured accumulator width is applied by the caller (wrapping commutes with addition).
// Row-major: a has stride lda, w stride ldw, acc stride ldc. When `accumulate` is false acc is
// overwritten. Inner loops are written so the compiler vectorises them (pmaddwd on x86-64).
void gemm_i16(const std::int16_t* a, std::int64_t lda, const std::int16_t* w, std::int64_t ldw,
              std::int32_t* acc, std::int64_t ldc, std::int64_t m, std::int64_t n, std::int64_t k,
              bool accumulate);

}  // namespace conloc
