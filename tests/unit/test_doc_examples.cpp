// docs/elp_bsd.md is a specification: its preset table and worked examples are checked here
// against the implementation, so the document cannot drift from the code.
#include <fstream>
#include <gtest/gtest.h>
#include <regex>
#include <sstream>

#include "modules/arith/elp_bsd_format.h"
#include "modules/arith/level_quantizer.h"

using namespace conloc;

namespace {

std::string doc() {
  std::ifstream in(std::string(CONLOCNN_SOURCE_DIR) + "/docs/elp_bsd.md");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

TEST(DocExamples, PresetTableMatchesTool) {
  const std::string d = doc();
  ASSERT_FALSE(d.empty());
  for (const auto& p : ElpBsdFormat::presets()) {
    const ElpBsdFormat f(p);
    std::string row = "| `" + p.name + "` | " + std::to_string(p.terms) + " | " +
                      std::to_string(p.shift_bits) + " | " + std::to_string(p.gap_bits) + " | " +
                      std::to_string(p.positions) + " | " + std::to_string(f.code_bits()) + " | " +
                      std::to_string(f.levels().size()) + " |";
    for (auto v : f.levels()) {
      if (v >= 0) row += " " + std::to_string(v);
    }
    row += " |";
    EXPECT_NE(d.find(row), std::string::npos) << "missing or stale row:\n" << row;
  }
}

TEST(DocExamples, WorkedExamples) {
  struct Ex {
    const char* fmt;
    double w, s;
    std::int32_t level;
    std::uint32_t code;
  };
  const Ex examples[] = {
      {"elp5", 0.0213, 0.00195, 10, 0b01001}, {"elp5", -0.0061, 0.00195, -3, 0b00111},
      {"elp4", 0.047, 0.0039, 16, 0b0101},    {"elp6", -0.118, 0.0042, -28, 0b011110},
      {"elp5", 0.0004, 0.00195, 0, 0b00000},  {"elp8", 0.252, 0.00195, 129, 0b00010110},
  };
  const std::string d = doc();
  for (const auto& e : examples) {
    const ElpBsdFormat f = ElpBsdFormat::preset(e.fmt);
    const LevelQuantizer q(f.levels());
    EXPECT_EQ(q.nearest(e.w / e.s), e.level) << e.fmt << " " << e.w;
    EXPECT_EQ(f.encode(e.level), e.code) << e.fmt << " " << e.level;
    EXPECT_EQ(f.decode(e.code), e.level);
    std::string bin;
    for (int b = f.code_bits() - 1; b >= 0; --b)
      bin += ((e.code >> b) & 1u) ? '1' : '0';
    EXPECT_NE(d.find("`0b" + bin + "` (" + std::to_string(e.code) + ")"), std::string::npos) << bin;
  }
}
