// Network JSON files, loaded as `--workload FILE` is.
#include "sim/workload/workload.h"
#include "tests/fuzz/fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace conloc;
  const std::string& file = fuzz::write_input(data, size, ".json");
  return fuzz::expect_user_error_only([&] { load_workload(file, 1); });
}
