#pragma once

namespace conloc {

// Gives the heap's free pages back to the system (jemalloc's purge where the program links it,
// else glibc's malloc_trim). A compile allocates and frees several times the compiled network's
// size (float weights, every calibration image's activations, output-error buffers); without this
// those pages stay in the process through the simulation, count in its peak memory (ResNet-50
// functional: 304 -> 242-258 MiB, docs/benchmarks.md) and, in a sweep's parent, in every worker it
// forks.
void release_free_memory();

}  // namespace conloc
