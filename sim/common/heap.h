#pragma once

namespace conloc {

// Gives the heap's free pages back to the system (jemalloc's purge where the program links it,
// else glibc's malloc_trim). A compile allocates and frees several times the compiled network's
// size (float weights, every calibration image's activations, output-error buffers); without this
// those pages stay in the process through the simulation, count in its peak memory (ResNet-50
// functional: 304 -> 242-258 MiB, docs/benchmarks.md) and, in a sweep's parent, in every worker it
// forks.
void release_free_memory();

// In a process just forked: allocate from now on from an arena of the child's own (jemalloc,
// where the program links it; nothing otherwise). The parent's arenas hold the pages its compiles
// freed, split into small pages by the purge and shared copy-on-write with the child: a worker
// allocating there faults per 4 KiB page, in an arena of its own per 2 MiB huge page. (Measured:
// the design-space sweep compiling its networks, 1.41 M -> 0.35 M page faults, 44-48 -> 37-40 s.)
void use_own_heap();

}  // namespace conloc
