#pragma once

// Hot integer kernels (the GEMM of functional runs and of `accuracy`, the output stage, pooling,
// residual adds) are compiled twice, for AVX2 and for the portable x86-64 baseline; the loader
// picks the version the CPU supports (GCC function multi-versioning). The default build thus stays
// portable and still runs about 1.5x faster where AVX2 exists. Elsewhere (other compilers, other
// architectures) the macro is empty.
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define CONLOC_MULTIVERSION __attribute__((target_clones("avx2", "default")))
#else
#define CONLOC_MULTIVERSION
#endif
