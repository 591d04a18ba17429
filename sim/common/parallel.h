#pragma once

#include <cstddef>
#include <functional>

namespace conloc {

// Runs work(0) .. work(n - 1) on up to `jobs` threads (the caller's among them), each index once,
// in no set order. The first exception a call throws stops the calls not yet started and is
// rethrown here once the running ones are done.
void run_parallel(std::size_t n, int jobs, const std::function<void(std::size_t)>& work);

}  // namespace conloc
