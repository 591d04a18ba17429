// docs/extending.md followed: its commands run, and the registries its guides extend (DRAM
// technologies, energy tables) agree with the docs and reach the costs as the guides say.
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

#include "modules/memory/dram_tech.h"
#include "tests/e2e/cli_runner.h"

namespace conloc::test {
namespace {

const std::string kRoot = CONLOCNN_SOURCE_DIR;

// The words of a command line (the guide's commands quote nothing).
std::vector<std::string> words(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> w;
  for (std::string s; in >> s;)
    w.push_back(s);
  return w;
}

// Every command of docs/extending.md's blocks marked <!-- command -->, run with --out sent to a
// temporary folder: it succeeds, and a functional run is bit-exact.
TEST(Extending, GuideCommandsRun) {
  const std::string doc = slurp(kRoot + "/docs/extending.md");
  const std::string marker = "<!-- command -->\n```sh\n";
  const std::string tmp = make_temp_dir("extending");
  int commands = 0;
  for (auto at = doc.find(marker); at != std::string::npos; at = doc.find(marker, at + 1)) {
    const auto begin = at + marker.size();
    std::istringstream block(doc.substr(begin, doc.find("```", begin) - begin));
    for (std::string line; std::getline(block, line);) {
      std::vector<std::string> w = words(line);
      ASSERT_FALSE(w.empty());
      ASSERT_EQ(w.front(), "conlocnn-sim") << line;
      w.erase(w.begin());
      // Run in a temporary folder (nothing written into the source tree): a path the guide
      // gives relative to the source tree becomes absolute.
      std::string out;
      for (std::size_t i = 0; i + 1 < w.size(); ++i) {
        if (w[i] == "--out") w[i + 1] = out = tmp + "/" + std::to_string(commands);
        if (w[i] == "--workload" && std::filesystem::exists(kRoot + "/" + w[i + 1]))
          w[i + 1] = kRoot + "/" + w[i + 1];
      }
      ASSERT_FALSE(out.empty()) << "a guide command writes its results: " << line;
      const CliResult r = run_cli(w, tmp);
      ++commands;
      EXPECT_EQ(r.exit_code, 0) << line << "\n" << r.err;
      for (const auto& e : std::filesystem::recursive_directory_iterator(out)) {
        if (e.path().filename() != "summary.json") continue;
        const auto s = nlohmann::json::parse(slurp(e.path().string()));
        if (s.contains("bit_exact") && !s["bit_exact"].is_null()) {
          EXPECT_TRUE(s["bit_exact"].get<bool>()) << line << ": " << e.path();
        }
      }
    }
  }
  EXPECT_GE(commands, 5);
}

// Every technology is a row of docs/energy.md's DRAM table with its pJ/bit and GB/s, and a run
// with it charges DRAM bytes x 8 x pJ/bit and records the entry.
TEST(Extending, DramTechnologiesAreDocumentedAndCharged) {
  const std::string doc = slurp(kRoot + "/docs/energy.md");
  const std::string tmp = make_temp_dir("dram-tech");
  for (const DramTech& t : dram_technologies()) {
    const std::regex row("\\n\\| " + std::string(t.name) +
                         " \\| ([0-9.]+) \\|[^\\n]*\\| ([0-9.]+) \\|[^|\\n]*\\|\\n");
    std::smatch m;
    ASSERT_TRUE(std::regex_search(doc, m, row)) << t.name << " has no row in docs/energy.md";
    EXPECT_DOUBLE_EQ(std::stod(m[1]), t.pj_per_bit) << t.name;
    EXPECT_DOUBLE_EQ(std::stod(m[2]), t.gb_per_s) << t.name;
    const std::string out = tmp + "/" + std::string(t.name);
    const CliResult r = run_cli({"run", "--workload", "tinycnn", "--timing-only", "--set",
                                 "dram.technology=" + std::string(t.name), "--out", out});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto s = nlohmann::json::parse(slurp(out + "/summary.json"));
    EXPECT_EQ(s["dram_technology"]["name"], t.name);
    const double bytes = s["dram_bytes_read"].get<double>() + s["dram_bytes_written"].get<double>();
    EXPECT_GT(bytes, 0.0);
    EXPECT_NEAR(s["dram_pj"].get<double>(), bytes * 8 * t.pj_per_bit, 1e-9 * bytes * t.pj_per_bit)
        << t.name;
  }
}

// The energy-table guide: a copy of a shipped table, renamed and with a constant changed, is
// selected by path and its figure reaches the costs.
TEST(Extending, EnergyTableByTheGuide) {
  const std::string tmp = make_temp_dir("energy-table");
  auto table = nlohmann::json::parse(slurp(kRoot + "/configs/energy/horowitz45-cacti.json"));
  table["name"] = "my-table";
  table["constants"]["dram_per_bit"]["value"] = 3.25;
  table["constants"]["dram_per_bit"]["source"] = "the guide's test";
  write_file(tmp + "/my-table.json", table.dump(1));
  // The files a table names are found beside it: the guide says to copy them with it.
  std::filesystem::copy_file(
      kRoot + "/configs/energy/" + table["sram_table"]["file"].get<std::string>(),
      tmp + "/" + table["sram_table"]["file"].get<std::string>());
  const std::string out = tmp + "/run";
  const CliResult r = run_cli({"run", "--workload", "tinycnn", "--timing-only", "--set",
                               "energy.table=" + tmp + "/my-table.json", "--set",
                               "dram.technology=table", "--out", out});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto s = nlohmann::json::parse(slurp(out + "/summary.json"));
  EXPECT_EQ(s["energy_table"]["name"], "my-table") << s.dump().substr(0, 400);
  const double bytes = s["dram_bytes_read"].get<double>() + s["dram_bytes_written"].get<double>();
  EXPECT_NEAR(s["dram_pj"].get<double>(), bytes * 8 * 3.25, 1e-9 * bytes);
  // A misspelled constant is refused naming its JSON path.
  table["constants"]["dram_per_bitt"] = table["constants"]["dram_per_bit"];
  write_file(tmp + "/bad.json", table.dump(1));
  const CliResult bad = run_cli({"run", "--workload", "tinycnn", "--timing-only", "--set",
                                 "energy.table=" + tmp + "/bad.json", "--out", tmp + "/bad"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("constants.dram_per_bitt"), std::string::npos) << bad.err;
}

}  // namespace
}  // namespace conloc::test
