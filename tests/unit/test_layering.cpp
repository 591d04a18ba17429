// The folders' layering (docs/architecture.md, "Layers"), and that the costing, planning and
// reporting code is plain C++: it prices and prints what the SystemC model measured without the
// kernel. This translation unit includes every such header and fails to compile if any of them
// reaches a SystemC or TLM header.
#include "modules/common/compiled_network.h"
#include "modules/controller/layer_plan.h"
#include "modules/controller/layer_stats.h"
#include "modules/memory/traffic.h"
#include "sim/energy/energy_cost.h"
#include "sim/mapping/mapper.h"
#include "sim/quant/compiler.h"
#include "sim/report/comparison.h"
#include "sim/report/run_report.h"
#include "sim/run/run_result.h"
#include "sim/sweep/sweep_results.h"

#if defined(SYSTEMC_VERSION) || defined(TLM_VERSION_MAJOR)
#error "a plain C++ costing header includes SystemC or TLM"
#endif

#include <gtest/gtest.h>

TEST(Layering, CostingHeadersNeedNoSystemC) {
  // The check is the #error above; this test records that it compiled.
  SUCCEED();
}

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>

namespace {

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

// docs/architecture.md's "Layers" block is the folder stack; every include of every source file
// under modules/ and sim/ goes to its own folder or one above it. A folder missing from the list
// fails too, so a new folder is placed deliberately.
TEST(Layering, FoldersIncludeOnlyTheLayersAbove) {
  namespace fs = std::filesystem;
  const fs::path root = CONLOCNN_SOURCE_DIR;
  const std::string doc = read_file(root / "docs/architecture.md");
  const std::string marker = "<!-- layers -->\n```\n";
  const auto at = doc.find(marker);
  ASSERT_NE(at, std::string::npos) << "docs/architecture.md has no layers block";
  std::map<std::string, int> rank;
  std::istringstream block(
      doc.substr(at + marker.size(), doc.find("```", at + marker.size()) - at - marker.size()));
  for (std::string line; std::getline(block, line);) {
    std::istringstream words(line);
    std::string folder;
    if (words >> folder) rank.emplace(folder, static_cast<int>(rank.size()));
  }
  ASSERT_GE(rank.size(), 20u);
  const std::regex include(R"re(#include "((modules|sim)/[a-z_]+)/)re");
  int files = 0, includes = 0;
  for (const char* top : {"modules", "sim"}) {
    for (const auto& e : fs::recursive_directory_iterator(root / top)) {
      const std::string ext = e.path().extension().string();
      if (!e.is_regular_file() || (ext != ".h" && ext != ".cpp")) continue;
      const fs::path rel = fs::relative(e.path(), root);
      const std::string folder = (*rel.begin() / *std::next(rel.begin())).string();
      const auto own = rank.find(folder);
      ASSERT_NE(own, rank.end()) << folder << " is not in docs/architecture.md's layers";
      ++files;
      const std::string text = read_file(e.path());
      for (std::sregex_iterator m(text.begin(), text.end(), include), end; m != end; ++m) {
        const std::string to = (*m)[1];
        const auto target = rank.find(to);
        ASSERT_NE(target, rank.end()) << rel << " includes from " << to << ", not in the layers";
        EXPECT_LE(target->second, own->second)
            << rel << " (" << folder << ") includes " << to << ", a layer below it";
        ++includes;
      }
    }
  }
  EXPECT_GT(files, 150);
  EXPECT_GT(includes, 400);  // 477 when written: the scan sees the includes
}
