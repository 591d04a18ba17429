#pragma once

#include <string>
#include <vector>

#include "tests/support/temp_dir.h"

namespace conloc::test {

struct CliResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs the built conlocnn-sim with `args` (each shell-quoted) from `cwd` (default: a temp dir).
CliResult run_cli(const std::vector<std::string>& args, const std::string& cwd = "");

// Writes `content` to `path`.
void write_file(const std::string& path, const std::string& content);

// The whole of `path`, or "" when it cannot be read (the e2e tests read the files a run wrote).
std::string slurp(const std::string& path);

}  // namespace conloc::test
