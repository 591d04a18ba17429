// Sweep specs: enumeration order, zipped axes, filters, and every kind of bad spec rejected before
// any point runs, with the spec file and the JSON path in the message.
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>

#include "modules/base/error.h"
#include "sim/sweep/filter_expr.h"
#include "sim/sweep/sweep_spec.h"
#include "tests/support/temp_dir.h"

using namespace conloc;
namespace fs = std::filesystem;

namespace {

// Writes `json` as a spec file in a fresh folder and returns its path.
struct SpecFile {
  std::string path;
  explicit SpecFile(const std::string& json)
      : path(conloc::test::make_temp_dir("spec") + "/s.json") {
    std::ofstream(path) << json;
  }
};

std::string error_of(const std::string& json) {
  SpecFile f(json);
  try {
    load_sweep_spec(f.path, false);
  } catch (const UserError& e) {
    return e.what();
  }
  return "";
}

const char* kHead = R"("workloads": ["tinycnn"], "designs": ["elp", "fixed"])";

std::string spec(const std::string& rest) {
  return std::string("{") + kHead + (rest.empty() ? "" : ", " + rest) + "}";
}

bool accepts(const std::string& expr, const std::map<std::string, nlohmann::json>& vals) {
  const FilterExpr f(expr, "f", [](const std::string& n) {
    return n.find('.') == std::string::npos ? "array." + n : n;
  });
  return f.accepts([&](const std::string& k) { return vals.at(k); });
}

}  // namespace

TEST(SweepSpec, CartesianAxesLastVariesFastestThenZippedGroups) {
  SpecFile f(spec(R"("axes": {"array.rows": [8, 16], "array.cols": [4, 32, 64]},
                     "zip": [{"buffers.weight_kib": [32, 128], "buffers.activation_kib": [16, 256]}])"));
  const SweepSpec s = load_sweep_spec(f.path, false);
  ASSERT_EQ(s.points.size(), 2u * 3u * 2u);
  EXPECT_EQ(s.enumerated, 12u);
  EXPECT_EQ(s.swept_keys,
            (std::vector<std::string>{"array.rows", "array.cols", "buffers.weight_kib",
                                      "buffers.activation_kib"}));
  // Point 0: first of everything; point 1: the zipped group steps both keys together.
  EXPECT_EQ(s.points[0].params[0].second, 8);
  EXPECT_EQ(s.points[1].params[2].second, 128);
  EXPECT_EQ(s.points[1].params[3].second, 256);
  EXPECT_EQ(s.points[1].params[1].second, 4);
  EXPECT_EQ(s.points[2].params[1].second, 32);
  EXPECT_EQ(s.points[11].params[0].second, 16);
  EXPECT_EQ(s.points[11].id, "p0011");
  // Every design gets its own config with the point's values.
  const auto cfgs = s.configs(s.points[7]);
  ASSERT_EQ(cfgs.size(), 2u);
  EXPECT_EQ(cfgs[0].design.mac, MacKind::ElpBsd);
  EXPECT_EQ(cfgs[1].design.mac, MacKind::FixedPoint);
  EXPECT_EQ(cfgs[1].array.rows, 16);
  EXPECT_EQ(cfgs[1].array.cols, 4);
  EXPECT_EQ(cfgs[1].buffers.weight_bytes, 128u * 1024u);
}

// Designs as compare names them: presets, settings of their own (which win over the axes, as a
// design's settings win over --set), the configured ones (which follow the axes); the baseline
// is the last unless named.
TEST(SweepSpec, DesignsAreRegistryNamesWithSettingsAndABaseline) {
  SpecFile f(R"({"workloads": ["tinycnn"],
                 "designs": ["elp5v2", "fixed8@design.accumulator_bits=24", "elp4-serial", "elp"],
                 "axes": {"design.elp.format": ["elp4", "elp6"], "design.accumulator_bits": [20]}})");
  const SweepSpec s = load_sweep_spec(f.path, false);
  ASSERT_EQ(s.designs.size(), 4u);
  EXPECT_EQ(s.baseline, "elp");
  const auto cfgs = s.configs(s.points[1]);  // design.elp.format = elp6
  EXPECT_EQ(cfgs[0].design.elp_name(), "elp5v2");
  EXPECT_EQ(cfgs[0].design.accumulator_bits, 20);
  EXPECT_EQ(cfgs[1].design.mac, MacKind::FixedPoint);
  EXPECT_EQ(cfgs[1].design.fixed_weight_bits, 8);
  EXPECT_EQ(cfgs[1].design.accumulator_bits, 24);
  EXPECT_EQ(cfgs[2].design.elp_mac, ElpMacVariant::TermSerial);
  EXPECT_EQ(cfgs[2].design.elp_name(), "elp4");
  EXPECT_EQ(cfgs[3].design.elp_name(), "elp6");
  SpecFile g(R"({"workloads": ["tinycnn"], "designs": ["elp5", "fixed5", "fixed8"],
                 "baseline": "fixed5"})");
  EXPECT_EQ(load_sweep_spec(g.path, false).baseline, "fixed5");
}

TEST(SweepSpec, FiltersDropPointsAndHashFollowsContent) {
  SpecFile a(spec(R"("axes": {"array.rows": [8, 16, 32], "array.cols": [8, 16, 32]},
                     "filters": ["rows * cols <= 256", "array.dataflow == \"ws\""])"));
  const SweepSpec s = load_sweep_spec(a.path, false);
  EXPECT_EQ(s.enumerated, 9u);
  ASSERT_EQ(s.points.size(), 6u);  // 8x8 8x16 8x32 16x8 16x16 32x8
  for (const auto& p : s.points)
    EXPECT_LE(p.params[0].second.get<int>() * p.params[1].second.get<int>(), 256);
  SpecFile b(spec(R"("axes": {"array.rows": [8, 16, 32], "array.cols": [8, 16, 32]},
                     "filters": ["rows * cols <= 512"])"));
  EXPECT_NE(load_sweep_spec(b.path, false).hash, s.hash);
  EXPECT_NE(load_sweep_spec(a.path, true).hash, s.hash);  // --functional changes the results
  EXPECT_EQ(load_sweep_spec(a.path, false).hash, s.hash);
}

TEST(SweepSpec, BaseFileRelativeToSpecAndInlineBase) {
  SpecFile f(spec(R"("base": {"array": {"dataflow": "os"}}, "set": {"clock_ghz": 0.5},
                     "axes": {"array.rows": [4]})"));
  const SweepSpec s = load_sweep_spec(f.path, false);
  const auto cfgs = s.configs(s.points[0]);
  EXPECT_EQ(cfgs[0].array.dataflow, Dataflow::OutputStationary);
  EXPECT_DOUBLE_EQ(cfgs[0].clock_ghz, 0.5);
  const std::string dir = fs::path(f.path).parent_path().string();
  std::ofstream(dir + "/base.json") << R"({"array": {"cols": 7}})";
  std::ofstream(dir + "/t.json") << spec(R"("base": "base.json")");
  const SweepSpec t = load_sweep_spec(dir + "/t.json", false);
  EXPECT_EQ(t.configs(t.points[0])[0].array.cols, 7);
}

TEST(SweepSpec, BadSpecsNameFileAndJsonPath) {
  struct Bad {
    std::string json, needle;
  };
  const std::vector<Bad> cases = {
      {spec(R"("axes": {"array.rowz": [8]})"), "array.rowz: unknown parameter"},
      {spec(R"("axes": {"array.rowz": [8]})"), "did you mean array.rows?"},
      {spec(R"("axes": {"array.rows": [8, "x"]})"), "axes.array.rows[1]: array.rows: wrong type"},
      {spec(R"("axes": {"array.rows": [8, 0]})"), "axes.array.rows[1]: array.rows: out of range"},
      {spec(R"("axes": {"array.rows": []})"), "axes.array.rows: empty axis"},
      {spec(R"("axes": {"array.rows": 8})"), "axes.array.rows: an axis must be a list"},
      {spec(R"("axes": {"design.mac": ["elp"]})"), "design.mac cannot be swept"},
      {spec(R"("zip": [{"array.rows": [8, 16], "array.cols": [8]}])"),
       "zip[0].array.cols: zipped axes of different lengths"},
      {spec(R"("axes": {"array.rows": [8]}, "zip": [{"array.rows": [8]}])"),
       "zip[0].array.rows: parameter swept twice"},
      {spec(R"("filters": ["rows * cols <= "])"), "filters[0]: bad filter expression"},
      {spec(R"("filters": ["rowz <= 4"])"), "filters[0]: rowz: unknown parameter"},
      {spec(R"("filters": ["dataflow * 2 > 1"])"), "filters[0]: filter cannot be evaluated"},
      {spec(R"("filters": ["rows > 100000"])"), "no point passes the filters"},
      {spec(R"("axes": {"dram.burst_bytes": [64, 65536]})"),
       "axes.dram.burst_bytes[1]: dram.burst_bytes: larger than half of the smallest buffer"},
      {spec(R"("axes": {"array.rows": [8]}, "colour": 1)"), "colour: unknown key"},
      {R"({"workloads": ["resnet19"], "designs": ["elp"]})", "workloads[0]"},
      {R"({"workloads": ["tinycnn"], "designs": ["elp", "fxed"]})", "designs[1]: unknown design"},
      {R"({"workloads": ["tinycnn"], "designs": ["elp", "elp"]})", "designs[1]: duplicate design"},
      {R"({"workloads": ["tinycnn"], "designs": ["elp5v2", "fixd5"]})",
       "designs[1]: unknown design; got \"fixd5\"; expected elp, fixed, elp4, elp5, "},
      {R"({"workloads": ["tinycnn"], "designs": ["elp5v2", "fixd5"]})", "did you mean fixed5?"},
      {R"({"workloads": ["tinycnn"], "designs": ["elp5", "fixed8@design.elp.positions=8"]})",
       "designs[1]: a setting that does not apply to this design; got \"design.elp.positions\""},
      {R"({"workloads": ["tinycnn"], "designs": ["elp5", "fixed8@array.rows=8"]})",
       "designs[1]: not a design setting"},
      {R"({"workloads": ["tinycnn"], "designs": ["elp5", "fixed8@design.fixed.weight_bits=40"]})",
       "design.fixed.weight_bits: out of range"},
      {R"({"workloads": ["tinycnn"], "designs": ["elp5", "fixed8"], "baseline": "fixed5"})",
       "baseline: not one of the designs; got \"fixed5\"; expected one of elp5, fixed8"},
      {R"({"workloads": ["tinycnn"], "designs": ["elp5", "fixed8"], "baseline": 8})",
       "baseline: wrong type"},
      {R"({"workloads": [], "designs": ["elp"]})", "workloads: must be a non-empty list"},
      {R"({"designs": ["elp"]})", "workloads: missing"},
      {spec(R"("base": "nope.json")"), "nope.json: file not found"},
      {spec(R"("functional": "yes")"), "functional: wrong type"},
      {"{\"workloads\": [", "malformed JSON"},
  };
  for (const auto& c : cases) {
    const std::string m = error_of(c.json);
    EXPECT_NE(m.find(c.needle), std::string::npos) << c.json << "\n  -> " << m;
    EXPECT_NE(m.find("s.json"), std::string::npos) << c.json << "\n  -> " << m;
  }
}

TEST(SweepSpec, TooManyPointsRejectedBeforeEnumeration) {
  std::string vals = "[";
  for (int i = 1; i <= 1000; ++i)
    vals += std::to_string(i) + (i < 1000 ? "," : "]");
  const std::string m = error_of(spec(R"("axes": {"array.rows": )" + vals + R"(, "array.cols": )" +
                                      vals + R"(, "vector.lanes": [1, 2]})"));
  EXPECT_NE(m.find("too many points"), std::string::npos) << m;
}

TEST(FilterExpr, ArithmeticComparisonsAndLogic) {
  const std::map<std::string, nlohmann::json> v = {
      {"array.rows", 16}, {"array.cols", 8}, {"array.dataflow", "ws"}};
  EXPECT_TRUE(accepts("rows * cols <= 128", v));
  EXPECT_FALSE(accepts("rows * cols < 128", v));
  EXPECT_TRUE(accepts("rows >= 2 * cols && dataflow == 'ws'", v));
  EXPECT_TRUE(accepts("rows < 8 || !(dataflow != \"ws\")", v));
  EXPECT_TRUE(accepts("(rows - cols) / 4 == 2", v));
  EXPECT_TRUE(accepts("rows % 5 == 1", v));
  EXPECT_TRUE(accepts("-rows < 0", v));
  EXPECT_FALSE(accepts("rows == 8", v));
  EXPECT_TRUE(accepts("1.5e1 < rows", v));
  EXPECT_THROW(accepts("rows", v), UserError);                   // not a comparison
  EXPECT_THROW(accepts("rows / (cols - 8) > 1", v), UserError);  // division by zero
  EXPECT_THROW(accepts("rows == 'ws'", v), UserError);           // string vs number
  EXPECT_THROW(accepts("rows <= 4)", v), UserError);             // trailing text
  EXPECT_THROW(accepts("(rows <= 4", v), UserError);             // missing ')'
  EXPECT_THROW(accepts("dataflow == \"ws", v), UserError);       // unterminated string
}
