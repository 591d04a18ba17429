// Large allocations of the command-line tool on transparent huge pages.
//
// A big model's import and compile allocate its weights several times over (the file's floats,
// the transposed weights, the codes, the sampled operands), and every fresh 4 KiB page costs a
// page fault when first touched. On a virtual machine that fault is expensive: for VGG-11 (133 M
// weights) the faults and the zeroing behind them were two thirds of an 15 s import and compile
// (perf). Blocks of 2 MiB and more are therefore allocated 2 MiB-aligned and marked
// MADV_HUGEPAGE, so the kernel backs them with huge pages: a fault per 2 MiB instead of per
// 4 KiB (docs/benchmarks.md: VGG-11 import and compile 2x faster). Small blocks are malloc's as
// before, and everything is released by free(), as glibc allows for aligned_alloc'd memory.
//
// This replaces the global operator new / delete (the C++ replaceable allocation functions; every
// other non-aligned form forwards to these), in the tool only: not in the library, the tests or
// the sanitizer builds, whose runtimes bring their own.
#include <cstdlib>
#include <new>

#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(memory_sanitizer)
#define CONLOC_SANITIZED 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define CONLOC_SANITIZED 1
#endif

#if defined(__linux__) && !defined(CONLOC_SANITIZED)
#include <sys/mman.h>

namespace {

constexpr std::size_t kHugePage = std::size_t{2} << 20;

void* allocate(std::size_t n) {
  if (n >= kHugePage) {
    const std::size_t size = (n + kHugePage - 1) / kHugePage * kHugePage;
    if (void* p = std::aligned_alloc(kHugePage, size)) {
      madvise(p, size, MADV_HUGEPAGE);  // advice only: without it the block is used as is
      return p;
    }
  }
  if (void* p = std::malloc(n != 0 ? n : 1)) return p;
  throw std::bad_alloc();
}

}  // namespace

void* operator new(std::size_t n) {
  return allocate(n);
}
void* operator new[](std::size_t n) {
  return allocate(n);
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete[](void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}
void operator delete[](void* p, std::size_t) noexcept {
  std::free(p);
}
#endif
