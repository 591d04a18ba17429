// ONNX models, imported as `--workload FILE.onnx --input-shape 1,3,8,8` is (the shape is used
// only where the model's input is dynamic).
#include "sim/workload/onnx_import.h"
#include "tests/fuzz/fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace conloc;
  const std::string& file = fuzz::write_input(data, size, ".onnx");
  fuzz::expect_user_error_only([&] { import_onnx(file, {}, 1); });
  return fuzz::expect_user_error_only([&] { import_onnx(file, {1, 3, 8, 8}, 1); });
}
