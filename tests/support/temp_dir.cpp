#include "tests/support/temp_dir.h"

#include <filesystem>
#include <stdlib.h>
#include <vector>

namespace conloc::test {

namespace fs = std::filesystem;

namespace {

struct TempDirs {
  std::vector<std::string> dirs;
  ~TempDirs() {
    std::error_code ec;
    for (const auto& d : dirs)
      fs::remove_all(d, ec);
  }
};

}  // namespace

std::string make_temp_dir(const std::string& tag) {
  static TempDirs all;
  std::string tmpl = (fs::temp_directory_path() / ("conloc-" + tag + "-XXXXXX")).string();
  char* d = mkdtemp(tmpl.data());
  if (d == nullptr) return std::string();
  all.dirs.emplace_back(d);
  return all.dirs.back();
}

}  // namespace conloc::test
