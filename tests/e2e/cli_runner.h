#pragma once

#include <string>
#include <vector>

namespace conloc::test {

struct CliResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs the built conlocnn-sim with `args` (each shell-quoted) from `cwd` (default: a temp dir).
CliResult run_cli(const std::vector<std::string>& args, const std::string& cwd = "");

// A fresh empty directory under the system temp dir.
std::string make_temp_dir(const std::string& tag);

// Writes `content` to `path`.
void write_file(const std::string& path, const std::string& content);

}  // namespace conloc::test
