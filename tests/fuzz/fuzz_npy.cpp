// .npy weight and image files.
#include "sim/workload/npy.h"
#include "tests/fuzz/fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace conloc;
  const std::string& file = fuzz::write_input(data, size, ".npy");
  return fuzz::expect_user_error_only([&] { read_npy(file); });
}
