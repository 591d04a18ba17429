#include "sim/cli/options.h"

#include <iostream>

#include "modules/base/error.h"

namespace conloc {

void add_common_options(po::options_description& desc, CommonOptions& common, bool with_out) {
  desc.add_options()("config", po::value<std::string>()->notifier([&common](const std::string& v) {
    common.config_file = v;
  }),
                     "JSON config file (presets in configs/presets/)")(
      "set", po::value<std::vector<std::string>>(&common.overrides)->composing(),
      "override one parameter: --set dotted.key=value (repeatable)");
  if (with_out)
    desc.add_options()("out", out_value(&common.out_dir), "output directory (created if missing)");
}

po::typed_value<std::string>* out_value(std::string* target) {
  return po::value<std::string>(target)->notifier([](const std::string& v) {
    // Given but empty is a mistake (an unset shell variable, say), not a request for the default
    // folder.
    if (v.empty()) {
      throw UserError(field_error("--out", "", "empty", "\"\"", "a folder for the results"));
    }
  });
}

bool parse_options(const std::string& cmd, const std::string& synopsis,
                   po::options_description& desc, const std::vector<std::string>& args,
                   po::variables_map& vm, const po::positional_options_description* positional) {
  desc.add_options()("help,h", "show this help");
  po::command_line_parser parser(args);
  parser.options(desc);
  // Without a positional description every stray word is an error (`run tinycnn` must not
  // silently run the default workload).
  const po::positional_options_description none;
  parser.positional(positional ? *positional : none);
  po::store(parser.run(), vm);
  if (vm.count("help")) {
    std::cout << "usage: conlocnn-sim " << cmd << " " << synopsis << "\n\n" << desc << "\n";
    return false;
  }
  po::notify(vm);
  return true;
}

}  // namespace conloc
