// Sweep specs, validated as `sweep SPEC` does before any point runs.
#include "sim/sweep/sweep_spec.h"
#include "tests/fuzz/fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace conloc;
  const std::string& file = fuzz::write_input(data, size, ".json");
  return fuzz::expect_user_error_only([&] { load_sweep_spec(file, false); });
}
