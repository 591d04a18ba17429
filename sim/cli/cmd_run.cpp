#include <iostream>

#include "sim/cli/options.h"
#include "sim/config/sim_config.h"

namespace conloc {

namespace {

int stub(const std::string& cmd, const std::vector<std::string>& args) {
  CommonOptions common;
  po::options_description desc(cmd + " options");
  add_common_options(desc, common, true);
  po::variables_map vm;
  if (!parse_options(cmd, "[--config F] [--set k=v]... --out DIR", desc, args, vm)) return 0;
  load_sim_config(common.config_file, common.overrides);
  std::cerr << "conlocnn-sim " << cmd << ": not built yet (the accelerator model is being built)\n";
  return kExitUsage;
}

}  // namespace

int cmd_run(const std::vector<std::string>& args) {
  return stub("run", args);
}
int cmd_compare(const std::vector<std::string>& args) {
  return stub("compare", args);
}

}  // namespace conloc
