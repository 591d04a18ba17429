// SCALE-Sim topology and GEMM CSV files, loaded as `--workload FILE.csv` is.
#include "sim/workload/topology_csv.h"
#include "tests/fuzz/fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace conloc;
  const std::string& file = fuzz::write_input(data, size, ".csv");
  return fuzz::expect_user_error_only([&] { load_topology_csv(file); });
}
