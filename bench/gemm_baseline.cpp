// The yardstick for the simulator's own overhead: a plain int8 x int8 -> int32 GEMM of the same
// PE-array layers (per group: M x K times K x N), naive loops the compiler auto-vectorises.
// Prints the seconds and GMAC/s of one pass over the network.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "sim/common/rng.h"
#include "sim/workload/zoo.h"

namespace {

// c[m][n] = sum_k a[m][k] * b[n][k]
void gemm_i8(const std::int8_t* a, const std::int8_t* b, std::int32_t* c, std::int64_t m,
             std::int64_t n, std::int64_t k) {
  for (std::int64_t i = 0; i < m; ++i) {
    for (std::int64_t j = 0; j < n; ++j) {
      std::int32_t s = 0;
      for (std::int64_t t = 0; t < k; ++t)
        s += a[i * k + t] * b[j * k + t];
      c[i * n + j] = s;
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  const std::string name = argc > 1 ? argv[1] : "resnet50";
  const conloc::Network net = conloc::zoo_network(name);
  conloc::Rng rng(1);
  double seconds = 0;
  std::int64_t macs = 0;
  std::int64_t checksum = 0;
  for (const auto& l : net.layers) {
    if (!l.on_pe_array()) continue;
    const conloc::GemmShape g = net.gemm(l);
    std::vector<std::int8_t> a(static_cast<std::size_t>(g.m * g.k)),
        b(static_cast<std::size_t>(g.n * g.k));
    std::vector<std::int32_t> c(static_cast<std::size_t>(g.m * g.n));
    for (auto& v : a)
      v = static_cast<std::int8_t>(rng.next());
    for (auto& v : b)
      v = static_cast<std::int8_t>(rng.next());
    const auto t0 = std::chrono::steady_clock::now();
    for (int grp = 0; grp < g.groups; ++grp)
      gemm_i8(a.data(), b.data(), c.data(), g.m, g.n, g.k);
    seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    macs += g.macs();
    checksum += c[c.size() / 2];
  }
  std::printf(
      "{\"network\": \"%s\", \"macs\": %lld, \"seconds\": %.4f, \"gmac_per_s\": %.3f, "
      "\"checksum\": %lld}\n",
      name.c_str(), static_cast<long long>(macs), seconds, macs / seconds * 1e-9,
      static_cast<long long>(checksum));
  return 0;
}
