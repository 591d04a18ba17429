#include "modules/pe_array/gemm_kernel.h"

#include "modules/common/multiversion.h"

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
