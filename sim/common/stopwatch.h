#pragma once

#include <chrono>

namespace conloc {

// Wall-clock seconds since `t0` (stage timings in results and progress reports).
inline double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace conloc
