#include <iostream>

#include "sim/cli/options.h"
#include "sim/config/sim_config.h"

namespace conloc {

int cmd_config(const std::vector<std::string>& args) {
  CommonOptions common;
  bool schema = false, json = false;
  po::options_description desc("config options");
  add_common_options(desc, common, false);
  desc.add_options()("schema", po::bool_switch(&schema),
                     "print every parameter: name, type, default, unit, allowed values")(
      "json", po::bool_switch(&json), "print JSON instead of a Markdown table");
  po::variables_map vm;
  if (!parse_options("config", "[--schema [--json]] | [--config F] [--set k=v]...", desc, args,
                     vm)) {
    return 0;
  }
  if (schema) {
    if (json) {
      std::cout << sim_params().schema_json().dump(2) << "\n";
    } else {
      std::cout << sim_params().schema_markdown();
    }
    return 0;
  }
  // Without --schema: resolve and print the configuration that a run would use.
  const SimConfig cfg = load_sim_config(common.config_file, common.overrides);
  std::cout << cfg.resolved.dump(2) << "\n";
  return 0;
}

}  // namespace conloc
