#pragma once

#include <cstdint>
#include <vector>

namespace conloc {

// acc[m][n] (+)= sum_k a[m][k] * w[n][k] on int16 operands with int32 accumulation; the wrap to
// the configured accumulator width is applied by the caller (wrapping commutes with addition).
// Row-major: a has stride lda, w stride ldw, acc stride ldc. When `accumulate` is false acc is
// overwritten. Inner loops are written so the compiler vectorises them (pmaddwd on x86-64).
void gemm_i16(const std::int16_t* a, std::int64_t lda, const std::int16_t* w, std::int64_t ldw,
              std::int32_t* acc, std::int64_t ldc, std::int64_t m, std::int64_t n, std::int64_t k,
              bool accumulate);

// A weight matrix w[n][k] (stride ldw) laid out once for many gemm_i16_packed calls with the same
// weights (integer inference over a test set). On x86-64 CPUs with AVX2 it holds the weights as
// pairs of k in blocks of sixteen columns, [n/16][k/2][16][2], so the kernel needs no horizontal
// sums and reads each block's weights in order; elsewhere it only remembers `w`,
// which must then outlive it.
class PackedWeights {
 public:
  PackedWeights() = default;
  PackedWeights(const std::int16_t* w, std::int64_t ldw, std::int64_t n, std::int64_t k);
  // True when the AVX2 pair layout exists (gemm_i16_packed_segments can run).
  bool paired() const { return !pairs_.empty(); }
  // The weights as given ([n][ldw], not owned): for callers with a faster path of their own.
  const std::int16_t* raw() const { return w_; }

 private:
  friend void gemm_i16_packed(const std::int16_t* a, std::int64_t lda, const PackedWeights& w,
                              std::int32_t* acc, std::int64_t ldc, std::int64_t m, bool accumulate);
  friend bool gemm_i16_packed_segments(const std::int16_t* const* segments, int segs,
                                       std::int64_t seg_len, const PackedWeights& w,
                                       std::int32_t* acc, std::int64_t ldc, std::int64_t m,
                                       bool accumulate);
  const std::int16_t* w_ = nullptr;
  std::int64_t ldw_ = 0, n_ = 0, k_ = 0, np_ = 0;
  std::vector<std::int16_t> pairs_;  // empty: use w_ with the portable kernel
};

// gemm_i16 with packed weights: the same result bit for bit.
void gemm_i16_packed(const std::int16_t* a, std::int64_t lda, const PackedWeights& w,
                     std::int32_t* acc, std::int64_t ldc, std::int64_t m, bool accumulate);

// The same with each row of `a` given as `segs` runs of `seg_len` values (row i is the
// concatenation of segments[i * segs + s], s < segs): a convolution's patch rows read straight
// from the input tensor, one run per kernel row, without an im2col copy. Needs w.paired() and an
// even seg_len (check before building the runs); returns false, doing nothing, otherwise.
bool gemm_i16_packed_segments(const std::int16_t* const* segments, int segs, std::int64_t seg_len,
                              const PackedWeights& w, std::int32_t* acc, std::int64_t ldc,
                              std::int64_t m, bool accumulate);

}  // namespace conloc
