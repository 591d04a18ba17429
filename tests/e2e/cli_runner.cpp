#include "tests/e2e/cli_runner.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace conloc::test {

namespace fs = std::filesystem;

namespace {

std::string quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) {
    if (c == '\'') {
      q += "'\\''";
    } else {
      q += c;
    }
  }
  return q + "'";
}

}  // namespace

std::string slurp(const std::string& p) {
  std::ifstream in(p);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_file(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
}

CliResult run_cli(const std::vector<std::string>& args, const std::string& cwd) {
  const std::string dir = cwd.empty() ? make_temp_dir("cli") : cwd;
  const std::string out = dir + "/.stdout", err = dir + "/.stderr";
  std::string cmd =
      "cd " + quote(dir) + " && SYSTEMC_DISABLE_COPYRIGHT_MESSAGE=1 " + quote(CONLOCNN_SIM_BIN);
  for (const auto& a : args)
    cmd += " " + quote(a);
  cmd += " >" + quote(out) + " 2>" + quote(err);
  const int status = std::system(cmd.c_str());
  CliResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = slurp(out);
  r.err = slurp(err);
  return r;
}

}  // namespace conloc::test
