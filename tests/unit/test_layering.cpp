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

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <vector>

namespace {

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// README.md and every docs/*.md.
std::vector<std::filesystem::path> readme_and_docs(const std::filesystem::path& root) {
  std::vector<std::filesystem::path> docs = {root / "README.md"};
  for (const auto& e : std::filesystem::directory_iterator(root / "docs"))
    if (e.path().extension() == ".md") docs.push_back(e.path());
  return docs;
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

// No function of modules/ or sim/ runs past 120 lines, except the tables that declare one entry
// after another (the parameter registry, a family of layer kinds). A function starts at a line
// in column 0 (a free function) or column 2 (a member defined in its class) that opens a
// parameter list, and ends at the next '}' in the same column (the repository's .clang-format
// puts both there).
TEST(Sources, NoFunctionOver120Lines) {
  namespace fs = std::filesystem;
  const fs::path root = CONLOCNN_SOURCE_DIR;
  const std::regex not_a_function(
      R"(^ {0,2}(namespace|struct|class|enum|union|extern|template|#|//|\}|if |for |while |switch |return|else|do |case |public:|private:|protected:))");
  auto is_table = [](const std::string& signature) {
    return signature.find("sim_params()") != std::string::npos ||
           signature.find("void define_") != std::string::npos;
  };
  auto indent = [](const std::string& l) {
    return static_cast<std::size_t>(l.find_first_not_of(' '));
  };
  int functions = 0, members = 0;
  std::string longest;
  std::size_t longest_lines = 0;
  for (const char* top : {"modules", "sim"}) {
    for (const auto& e : fs::recursive_directory_iterator(root / top)) {
      const std::string ext = e.path().extension().string();
      if (!e.is_regular_file() || (ext != ".h" && ext != ".cpp")) continue;
      std::istringstream in(read_file(e.path()));
      std::vector<std::string> lines;
      for (std::string l; std::getline(in, l);)
        lines.push_back(l);
      for (std::size_t i = 0; i < lines.size(); ++i) {
        const std::string& l = lines[i];
        if (l.empty() || l.find('(') == std::string::npos || std::regex_search(l, not_a_function))
          continue;
        const std::size_t col = indent(l);
        if (col != 0 && col != 2) continue;
        // The signature's last line ends with '{'; its continuation lines are indented deeper.
        std::size_t open = i;
        while (open + 1 < lines.size() && lines[open].back() != '{' && lines[open].back() != ';' &&
               lines[open].find('}') == std::string::npos && !lines[open + 1].empty() &&
               indent(lines[open + 1]) > col)
          ++open;
        if (open >= lines.size() || lines[open].empty() || lines[open].back() != '{') continue;
        std::size_t close = open + 1;
        while (close < lines.size() && !(indent(lines[close]) == col && lines[close].size() > col &&
                                         lines[close][col] == '}'))
          ++close;
        ++functions;
        members += col == 2;
        const std::size_t n = close - i + 1;
        const std::string where = fs::relative(e.path(), root).string() + ":" +
                                  std::to_string(i + 1) + " " + l.substr(col, 60);
        if (!is_table(l)) {
          EXPECT_LE(n, 120u) << where << " is " << n << " lines";
        }
        if (n > longest_lines) {
          longest_lines = n;
          longest = where;
        }
        i = close;
      }
    }
  }
  EXPECT_GT(functions, 600) << "the scan finds the functions";
  EXPECT_GT(members, 100) << "the scan finds members defined in their classes";
  EXPECT_GT(longest_lines, 120u) << "the tables are found: " << longest;
}

// Docs and comments that name the code stay true to it: every repository path written in
// backticks in README.md or docs/*.md, or in a comment of the sources, exists; the member of
// every `Class::member` the docs name appears in some source file. Placeholders in the
// extension guides (`NAME`) and the made-up paths of tests are skipped.
TEST(Sources, DocsNameFilesAndCodeThatExist) {
  namespace fs = std::filesystem;
  const fs::path root = CONLOCNN_SOURCE_DIR;
  const std::string tops = "(sim|modules|tests|scripts|bench|analysis|configs|workloads|docs)";
  const std::regex doc_path("`(" + tops + "/[A-Za-z0-9_./-]+)`");
  const std::regex code_path("\\b(" + tops + "/[A-Za-z0-9_/-]+\\.(cpp|h|py|sh|md|json))\\b");
  const std::regex member("`[A-Za-z_][A-Za-z0-9_]*::([A-Za-z_][A-Za-z0-9_]*)`");
  std::string sources;  // every source file, for the members
  std::vector<fs::path> files;
  for (const char* top : {"modules", "sim", "tests", "scripts", "bench", "analysis"}) {
    for (const auto& e : fs::recursive_directory_iterator(root / top)) {
      const std::string ext = e.path().extension().string();
      if (e.is_regular_file() && (ext == ".h" || ext == ".cpp" || ext == ".py" || ext == ".sh")) {
        files.push_back(e.path());
        sources += read_file(e.path());
      }
    }
  }
  auto exists = [&](std::string p) {
    while (!p.empty() && (p.back() == '.' || p.back() == '/'))
      p.pop_back();
    // A module named without its extension (`sim/design/design_registry`) is its header.
    return p.find("NAME") != std::string::npos || fs::exists(root / p) ||
           fs::exists(root / (p + ".h"));
  };
  int paths = 0, members = 0;
  // Every path `pattern` finds in `text` (of file `name`) exists.
  auto check_paths = [&](const std::string& text, const std::regex& pattern,
                         const std::string& name) {
    for (std::sregex_iterator it(text.begin(), text.end(), pattern), end; it != end; ++it) {
      ++paths;
      EXPECT_TRUE(exists((*it)[1].str()))
          << name << " names " << (*it)[1] << ", which does not exist";
    }
  };
  for (const fs::path& doc : readme_and_docs(root)) {
    const std::string text = read_file(doc);
    const std::string name = fs::relative(doc, root).string();
    check_paths(text, doc_path, name);
    for (std::sregex_iterator it(text.begin(), text.end(), member), end; it != end; ++it) {
      ++members;
      EXPECT_NE(sources.find((*it)[1].str()), std::string::npos)
          << name << " names " << it->str() << ", which no source file has";
    }
  }
  for (const fs::path& f : files) {
    // Tests write made-up paths on purpose (a table that is not there).
    if (fs::relative(f, root).string().rfind("tests/", 0) == 0) continue;
    check_paths(read_file(f), code_path, fs::relative(f, root).string());
  }
  EXPECT_GT(paths, 300) << "the scan finds the paths";
  EXPECT_GT(members, 20) << "the scan finds the members";
}

// Every test the docs name (`Suite.Name`, `Prefix/Suite.Name*`, `Suite.*`) is a test of the
// suite: a GoogleTest TEST / TEST_F / TEST_P or a CMake add_test, matched with `*` as a wildcard
// and, for a family of CMake tests named by a variable, as a prefix (a wildcard within a
// value-parameterised suite is taken as it stands).
TEST(Sources, DocsNameTestsThatExist) {
  namespace fs = std::filesystem;
  const fs::path root = CONLOCNN_SOURCE_DIR;
  std::vector<std::string> tests;
  // TEST_P suites: their instances' names come from the parameters (`BitExact.*Resident*`
  // names the instances whose parameter says Resident), so a wildcard within one is taken.
  std::vector<std::string> value_suites;
  const std::regex gtest(R"(\bTEST(_F|_P)?\(\s*(\w+),\s*(\w+)\))");
  const std::regex ctest(R"(add_test\(NAME ([A-Za-z0-9_.]+))");
  for (const auto& e : fs::recursive_directory_iterator(root / "tests")) {
    if (!e.is_regular_file()) continue;
    const std::string text = read_file(e.path());
    for (std::sregex_iterator it(text.begin(), text.end(), gtest), end; it != end; ++it) {
      tests.push_back((*it)[2].str() + "." + (*it)[3].str());
      if ((*it)[1] == "_P") value_suites.push_back((*it)[2].str() + ".");
    }
    for (std::sregex_iterator it(text.begin(), text.end(), ctest), end; it != end; ++it)
      tests.push_back((*it)[1].str());
  }
  ASSERT_GT(tests.size(), 300u) << "the scan finds the tests";
  // `Model/BitExact.*Resident*` -> BitExact.*Resident*; `X.Y/param` -> X.Y.
  const std::regex named(
      "`(?:[A-Za-z0-9]+/)?([A-Z][A-Za-z0-9]*\\.[A-Z*][A-Za-z0-9_*]*)(?:/[A-Za-z0-9_*]+)?`");
  int checked = 0;
  for (const fs::path& doc : readme_and_docs(root)) {
    const std::string text = read_file(doc);
    for (std::sregex_iterator it(text.begin(), text.end(), named), end; it != end; ++it) {
      const std::string name = (*it)[1].str();
      std::string pattern;
      for (char c : name)
        pattern += c == '*' ? std::string(".*") : c == '.' ? std::string("\\.") : std::string(1, c);
      const std::regex re(pattern);
      const bool found = std::any_of(tests.begin(), tests.end(),
                                     [&](const std::string& t) {
                                       // A family `Suite.Name.${var}` is found as `Suite.Name.`.
                                       return std::regex_match(t, re) ||
                                              (t.back() == '.' && (name + ".").rfind(t, 0) == 0);
                                     }) ||
                         (name.find('*') != std::string::npos &&
                          std::any_of(value_suites.begin(), value_suites.end(),
                                      [&](const std::string& v) { return name.rfind(v, 0) == 0; }));
      ++checked;
      EXPECT_TRUE(found) << fs::relative(doc, root).string() << " names the test " << name
                         << ", which the suite does not have";
    }
  }
  EXPECT_GT(checked, 50) << "the scan finds the docs' test names";
}
