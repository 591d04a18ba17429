// IDX dataset files (plain or gzip), as the image file and as the label file of a pair.
#include "sim/workload/dataset.h"
#include "tests/fuzz/fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace conloc;
  const std::string& file = fuzz::write_input(data, size, ".idx");
  return fuzz::expect_user_error_only([&] { read_idx_pair(file, file); });
}
