// The command-line tool's allocator: jemalloc (Debian's libjemalloc), its memory on transparent
// huge pages.
//
// The tool allocates and frees a lot of memory in short-lived processes: a big model's import and
// compile hold its weights several times over, each run's plan holds hundreds of thousands of
// jobs, the mapper its candidates, and every sweep worker is a fresh forked process whose pages
// are new. Each fresh 4 KiB page costs a page fault when first touched, and on a virtual machine
// a fault is expensive: with glibc's malloc a third of the design-space sweep's CPU time was the
// kernel's (3.0 M faults; perf: exc_page_fault, do_wp_page), a ResNet-50 timing-only run took
// 25 k faults. jemalloc backs its extents (and its own metadata) with 2 MiB huge pages where the
// kernel allows transparent huge pages for advised memory (`madvise`, Debian's default), so a
// fault brings in 2 MiB: the design space 0.2 M faults (1.4 M on a run that compiles its
// networks, until its workers took arenas of their own: sim/common/heap.h) and 27-29 s instead of
// 47 s, a ResNet-50 timing-only run 1.4 k faults and 0.18-0.32 s
// instead of 0.46-0.48 s (docs/benchmarks.md, "Sixteenth session"). Where the
// kernel gives no huge pages the advice is ignored and jemalloc works as usual.
//
// jemalloc reads this string at start-up (`malloc_conf`, overridden by the MALLOC_CONF
// environment variable). The tool links jemalloc; the library, the tests and the sanitizer builds
// (whose runtimes bring their own allocator) use the system's malloc.
extern "C" {
// NOLINTNEXTLINE: the name and type jemalloc looks for.
const char* malloc_conf = "thp:always,metadata_thp:always";
}
