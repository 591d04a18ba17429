#pragma once

#include <boost/program_options.hpp>
#include <string>
#include <vector>

#include "sim/cli/cli.h"

namespace conloc {

namespace po = boost::program_options;

// Adds --config, --set (and --out when `with_out`) to a subcommand's options.
void add_common_options(po::options_description& desc, CommonOptions& common, bool with_out);

// The value of an --out option: a folder, refused when given empty.
po::typed_value<std::string>* out_value(std::string* target);

// Parses `args` against `desc` (and `positional`, where the command takes positional
// arguments); returns false (after printing help) when --help was given.
bool parse_options(const std::string& cmd, const std::string& synopsis,
                   po::options_description& desc, const std::vector<std::string>& args,
                   po::variables_map& vm,
                   const po::positional_options_description* positional = nullptr);

}  // namespace conloc
