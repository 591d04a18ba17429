#include "sim/common/heap.h"

#include <cstddef>
#include <malloc.h>

// jemalloc's control interface, where the program links jemalloc (the command-line tool:
// sim/cli/malloc_conf.cpp); weak, so the library and the tests, which use glibc's malloc, link
// without it.
extern "C" int mallctl(const char* name, void* oldp, std::size_t* oldlenp, void* newp,
                       std::size_t newlen) __attribute__((weak));

namespace conloc {

void release_free_memory() {
  if (mallctl != nullptr) {
    // Every arena's free pages ("arena.<MALLCTL_ARENAS_ALL>.purge"; jemalloc.h defines
    // MALLCTL_ARENAS_ALL as 4096): glibc's malloc_trim sees none of jemalloc's memory. (Measured:
    // 2 MB less peak on functional ResNet-50, no change in the design space's time.)
    mallctl("arena.4096.purge", nullptr, nullptr, nullptr, 0);
  } else {
    malloc_trim(0);
  }
}

void use_own_heap() {
  if (mallctl == nullptr) return;
  unsigned arena = 0;
  std::size_t size = sizeof arena;
  if (mallctl("arenas.create", &arena, &size, nullptr, 0) != 0) return;
  mallctl("thread.tcache.flush", nullptr, nullptr, nullptr, 0);
  mallctl("thread.arena", nullptr, nullptr, &arena, sizeof arena);
}

}  // namespace conloc
