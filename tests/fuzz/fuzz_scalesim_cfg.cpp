// SCALE-Sim .cfg files, loaded as `--config FILE.cfg` is.
#include "sim/config/sim_config.h"
#include "tests/fuzz/fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace conloc;
  const std::string& file = fuzz::write_input(data, size, ".cfg");
  return fuzz::expect_user_error_only([&] { load_sim_config(file, {}); });
}
