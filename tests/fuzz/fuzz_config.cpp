// Config files and --set assignments: the first line of the input is a --set assignment, the
// rest a config file.
#include "sim/config/sim_config.h"
#include "tests/fuzz/fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace conloc;
  const std::string text(reinterpret_cast<const char*>(data), size);
  const auto nl = text.find('\n');
  const std::string set = text.substr(0, nl);
  const std::string body = nl == std::string::npos ? "" : text.substr(nl + 1);
  const std::string& file =
      fuzz::write_input(reinterpret_cast<const std::uint8_t*>(body.data()), body.size(), ".json");
  fuzz::expect_user_error_only([&] { load_sim_config(file, {}); });
  return fuzz::expect_user_error_only([&] { load_sim_config(std::nullopt, {set}); });
}
