#include "modules/dataflow/gemm_kernel.h"

#include <algorithm>
#include <cstring>

#include "modules/base/multiversion.h"

#if defined(__GNUC__) && defined(__x86_64__)
#define CONLOC_AVX2_KERNEL 1
#include <immintrin.h>
#endif

namespace conloc {

namespace {

// Products are summed in uint32: wrap-around is then defined behaviour and equals two's-complement
// int32 accumulation, which is what an int32 accumulator does.
inline std::uint32_t dot(const std::int16_t* a, const std::int16_t* w, std::int64_t k) {
  std::uint32_t s = 0;
  for (std::int64_t i = 0; i < k; ++i)
    s += static_cast<std::uint32_t>(a[i] * w[i]);
  return s;
}

}  // namespace

CONLOC_MULTIVERSION
void gemm_i16(const std::int16_t* a, std::int64_t lda, const std::int16_t* w, std::int64_t ldw,
              std::int32_t* acc, std::int64_t ldc, std::int64_t m, std::int64_t n, std::int64_t k,
              bool accumulate) {
  std::int64_t i = 0;
  // Four rows of `a` at a time share every load of a weight row.
  for (; i + 4 <= m; i += 4) {
    const std::int16_t* a0 = a + i * lda;
    const std::int16_t* a1 = a0 + lda;
    const std::int16_t* a2 = a1 + lda;
    const std::int16_t* a3 = a2 + lda;
    for (std::int64_t j = 0; j < n; ++j) {
      const std::int16_t* wj = w + j * ldw;
      std::uint32_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (std::int64_t t = 0; t < k; ++t) {
        const std::int32_t x = wj[t];
        s0 += static_cast<std::uint32_t>(a0[t] * x);
        s1 += static_cast<std::uint32_t>(a1[t] * x);
        s2 += static_cast<std::uint32_t>(a2[t] * x);
        s3 += static_cast<std::uint32_t>(a3[t] * x);
      }
      std::int32_t* c = acc + i * ldc + j;
      const std::uint32_t sums[4] = {s0, s1, s2, s3};
      for (int r = 0; r < 4; ++r) {
        const std::uint32_t prev = accumulate ? static_cast<std::uint32_t>(c[r * ldc]) : 0u;
        c[r * ldc] = static_cast<std::int32_t>(prev + sums[r]);
      }
    }
  }
  for (; i < m; ++i) {
    for (std::int64_t j = 0; j < n; ++j) {
      std::int32_t* c = acc + i * ldc + j;
      const std::uint32_t prev = accumulate ? static_cast<std::uint32_t>(*c) : 0u;
      *c = static_cast<std::int32_t>(prev + dot(a + i * lda, w + j * ldw, k));
    }
  }
}

}  // namespace conloc

namespace conloc {

namespace {

// What the AVX2 driver needs of a PackedWeights.
struct PackedWeightsView {
  const std::int16_t* pairs;
  std::int64_t n, np, kp;
};

bool use_avx2() {
#ifdef CONLOC_AVX2_KERNEL
  static const bool avx2 = __builtin_cpu_supports("avx2");
  return avx2;
#else
  return false;
#endif
}

#ifdef CONLOC_AVX2_KERNEL
// Four rows x sixteen columns: one vpmaddwd multiplies a broadcast pair (a[i][t], a[i][t+1])
// by eight columns' weight pairs and adds both products into eight int32 lanes, so no horizontal
// sum is needed. Integer adds wrap like the portable kernel's uint32 sums: both give the same
// bits. Row r is the concatenation of `segs` runs seg[r][0..segs) of `sp` pairs each; `wp` points
// at the block's segs * sp x 32 weights; `cols` of the sixteen columns are stored.
__attribute__((target("avx2"))) void pairs_kernel(const std::int16_t* const* const seg[4], int segs,
                                                  std::int64_t sp, int nrows,
                                                  const std::int16_t* wp, int cols,
                                                  std::int32_t* acc, std::int64_t ldc,
                                                  bool accumulate) {
  __m256i c[4][2];
  for (auto& row : c)
    row[0] = row[1] = _mm256_setzero_si256();
  for (int sg = 0; sg < segs; ++sg) {
    const std::int32_t* ap[4];
    for (int r = 0; r < 4; ++r)
      ap[r] = reinterpret_cast<const std::int32_t*>(seg[r][sg]);
    for (std::int64_t t = 0; t < sp; ++t, wp += 32) {
      const auto* wt = reinterpret_cast<const __m256i*>(wp);
      const __m256i w0 = _mm256_loadu_si256(wt);
      const __m256i w1 = _mm256_loadu_si256(wt + 1);
      for (int r = 0; r < 4; ++r) {
        std::int32_t pair;
        std::memcpy(&pair, ap[r] + t, sizeof pair);
        const __m256i x = _mm256_set1_epi32(pair);
        c[r][0] = _mm256_add_epi32(c[r][0], _mm256_madd_epi16(x, w0));
        c[r][1] = _mm256_add_epi32(c[r][1], _mm256_madd_epi16(x, w1));
      }
    }
  }
  for (int r = 0; r < nrows; ++r) {
    alignas(32) std::int32_t out[16];
    _mm256_store_si256(reinterpret_cast<__m256i*>(out), c[r][0]);
    _mm256_store_si256(reinterpret_cast<__m256i*>(out + 8), c[r][1]);
    std::int32_t* dst = acc + r * ldc;
    for (int q = 0; q < cols; ++q) {
      const std::uint32_t prev = accumulate ? static_cast<std::uint32_t>(dst[q]) : 0u;
      dst[q] = static_cast<std::int32_t>(prev + static_cast<std::uint32_t>(out[q]));
    }
  }
}

// Drives the kernel over column blocks (outside: one block's weights stay in L1) and row blocks
// of four (inside); `seg(i)` gives row i's `segs` run pointers, rows past m read `zero`.
template <class Segments>
void pairs_gemm(const PackedWeightsView& w, int segs, std::int64_t sp, Segments seg,
                const std::int16_t* const* zero, std::int32_t* acc, std::int64_t ldc,
                std::int64_t m, bool accumulate) {
  const std::int64_t blocks = (m + 3) / 4;
  for (std::int64_t j0 = 0; j0 < w.np; j0 += 16) {
    const std::int16_t* wp = w.pairs + j0 * w.kp * 2;
    const int cols = static_cast<int>(std::min<std::int64_t>(16, w.n - j0));
    for (std::int64_t b = 0; b < blocks; ++b) {
      const std::int64_t i0 = b * 4;
      const std::int16_t* const* rows[4];
      for (int r = 0; r < 4; ++r)
        rows[r] = i0 + r < m ? seg(i0 + r) : zero;
      pairs_kernel(rows, segs, sp, static_cast<int>(std::min<std::int64_t>(4, m - i0)), wp, cols,
                   acc + i0 * ldc + j0, ldc, accumulate);
    }
  }
}
#endif

}  // namespace

PackedWeights::PackedWeights(const std::int16_t* w, std::int64_t ldw, std::int64_t n,
                             std::int64_t k)
    : w_(w), ldw_(ldw), n_(n), k_(k) {
  if (!use_avx2()) return;
  const std::int64_t kp = (k + 1) / 2;
  np_ = (n + 15) / 16 * 16;
  pairs_.assign(static_cast<std::size_t>(kp * np_ * 2), 0);
  for (std::int64_t j = 0; j < n; ++j) {
    const std::int16_t* wj = w + j * ldw;
    for (std::int64_t t = 0; t < k; ++t)
      pairs_[static_cast<std::size_t>((j / 16) * kp * 32 + (t / 2) * 32 + (j % 16) * 2 + (t & 1))] =
          wj[t];
  }
}

void gemm_i16_packed(const std::int16_t* a, std::int64_t lda, const PackedWeights& w,
                     std::int32_t* acc, std::int64_t ldc, std::int64_t m, bool accumulate) {
#ifdef CONLOC_AVX2_KERNEL
  if (!w.pairs_.empty()) {
    const std::int64_t kp = (w.k_ + 1) / 2;
    // Rows are read as int32 pairs: with an odd k each row is copied with a zero appended, so
    // nothing past the end of `a` is read.
    thread_local std::vector<std::int16_t> pad;
    const bool odd = w.k_ % 2 != 0;
    pad.assign(static_cast<std::size_t>((odd ? m + 1 : 1) * kp * 2), 0);
    if (odd) {
      for (std::int64_t i = 0; i < m; ++i)
        std::copy(a + i * lda, a + i * lda + w.k_, pad.data() + (i + 1) * kp * 2);
    }
    const std::int16_t* zero = pad.data();
    thread_local std::vector<const std::int16_t*> ptr;
    ptr.resize(static_cast<std::size_t>(m));
    for (std::int64_t i = 0; i < m; ++i)
      ptr[i] = odd ? pad.data() + (i + 1) * kp * 2 : a + i * lda;
    pairs_gemm(
        {w.pairs_.data(), w.n_, w.np_, kp}, 1, kp, [&](std::int64_t i) { return ptr.data() + i; },
        &zero, acc, ldc, m, accumulate);
    return;
  }
#endif
  gemm_i16(a, lda, w.w_, w.ldw_, acc, ldc, m, w.n_, w.k_, accumulate);
}

bool gemm_i16_packed_segments(const std::int16_t* const* segments, int segs, std::int64_t seg_len,
                              const PackedWeights& w, std::int32_t* acc, std::int64_t ldc,
                              std::int64_t m, bool accumulate) {
#ifdef CONLOC_AVX2_KERNEL
  if (w.pairs_.empty() || seg_len % 2 != 0 || segs * seg_len != w.k_) return false;
  thread_local std::vector<std::int16_t> zeros;
  thread_local std::vector<const std::int16_t*> zero_rows;
  zeros.assign(static_cast<std::size_t>(seg_len), 0);
  zero_rows.assign(static_cast<std::size_t>(segs), zeros.data());
  pairs_gemm(
      {w.pairs_.data(), w.n_, w.np_, w.k_ / 2}, segs, seg_len / 2,
      [&](std::int64_t i) { return segments + i * segs; }, zero_rows.data(), acc, ldc, m,
      accumulate);
  return true;
#else
  (void)segments, (void)segs, (void)seg_len, (void)w, (void)acc, (void)ldc, (void)m,
      (void)accumulate;
  return false;
#endif
}

}  // namespace conloc
