#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <set>
#include <sstream>

#include "modules/arith/elp_lut_format.h"
#include "modules/base/error.h"
#include "sim/config/sim_config.h"
#include "sim/design/design_registry.h"
#include "tests/support/param_values.h"
#include "tests/support/temp_dir.h"

using namespace conloc;

namespace {

std::string error_of(const std::vector<std::string>& sets) {
  try {
    load_sim_config(std::nullopt, sets);
  } catch (const UserError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(Config, DefaultsResolveAndAreTyped) {
  const SimConfig c = load_sim_config(std::nullopt, {});
  EXPECT_EQ(c.array.rows, 16);
  EXPECT_EQ(c.array.cols, 16);
  EXPECT_EQ(c.array.dataflow, Dataflow::WeightStationary);
  EXPECT_EQ(c.design.mac, MacKind::ElpBsd);
  EXPECT_EQ(c.design.elp.name, "elp5");
  EXPECT_EQ(c.buffers.weight_bytes, 64u * 1024);
  EXPECT_EQ(c.resolved["array"]["rows"], 16);
  EXPECT_EQ(c.params.source_of("array.rows"), "default");
  EXPECT_EQ(c.hash.size(), 16u);
}

TEST(Config, SetOverridesAreTypedAndTracked) {
  const SimConfig c = load_sim_config(std::nullopt, {"array.rows=32", "array.dataflow=os",
                                                     "design.elp.format=elp8", "clock_ghz=0.5"});
  EXPECT_EQ(c.array.rows, 32);
  EXPECT_EQ(c.array.dataflow, Dataflow::OutputStationary);
  EXPECT_EQ(c.design.elp.code_bits(), 8);
  EXPECT_DOUBLE_EQ(c.clock_ghz, 0.5);
  EXPECT_EQ(c.params.source_of("array.rows"), "--set array.rows=32");
}

// The configuration hash (summary.json, the sweep manifest) changes with every parameter: each
// registry parameter set to another value the configuration accepts, on three base designs.
TEST(Config, HashChangesWithAnyParameter) {
  const auto a = load_sim_config(std::nullopt, {});
  const auto a2 = load_sim_config(std::nullopt, {});
  EXPECT_EQ(a.hash, a2.hash);
  std::set<std::string> varied;
  for (const std::vector<std::string>& base :
       {std::vector<std::string>{}, std::vector<std::string>{"design.elp.format=elp4v2"},
        std::vector<std::string>{"design.elp.format=custom"},
        std::vector<std::string>{"design.mac=fixed"}}) {
    const SimConfig cfg = load_sim_config(std::nullopt, base);
    for (const ParamSpec& p : sim_params().specs()) {
      const auto m = test::moved(cfg, p);
      if (!m) continue;
      varied.insert(p.path);
      EXPECT_NE(m->first.hash, cfg.hash)
          << p.path << " = " << m->second.dump() << " keeps the hash";
    }
  }
  for (const ParamSpec& p : sim_params().specs())
    EXPECT_TRUE(varied.count(p.path)) << p.path << " was never varied";
}

// A resolved configuration (what a run writes as config.json) read back from anywhere resolves
// to the same configuration: derived values stay "auto" and are derived again, and an energy
// table given by a path relative to its config file is written as an absolute path.
TEST(Config, ResolvedConfigReadBackFromAnotherFolderIsTheSame) {
  const std::string dir = test::make_temp_dir("config-roundtrip");
  std::filesystem::create_directories(dir + "/a/tables");
  std::filesystem::copy_file(std::string(CONLOCNN_SOURCE_DIR) + "/configs/energy/horowitz45.json",
                             dir + "/a/tables/t.json");
  for (const std::string& doc :
       {std::string(R"({"energy": {"table": "tables/t.json"}})"),
        std::string(R"({"dram": {"technology": "hbm2"}, "design": {"elp": {"format": "custom"}}})"),
        std::string(R"({"design": {"elp": {"format": "elp4v2", "levels": "1,2,3,4,6,8,12"}}})")}) {
    std::ofstream(dir + "/a/c.json") << doc;
    const SimConfig a = load_sim_config(dir + "/a/c.json", {});
    std::filesystem::create_directories(dir + "/b/out");
    std::ofstream(dir + "/b/out/config.json") << a.resolved.dump(2);
    const SimConfig b = load_sim_config(dir + "/b/out/config.json", {});
    EXPECT_EQ(b.resolved, a.resolved) << doc;
    EXPECT_EQ(b.hash, a.hash) << doc;
    EXPECT_EQ(b.energy_table_path, a.energy_table_path) << doc;
    EXPECT_EQ(b.dram.bytes_per_cycle, a.dram.bytes_per_cycle) << doc;
    EXPECT_EQ(b.design.elp_name(), a.design.elp_name()) << doc;
  }
  // Derived values are derived again: the technology's bandwidth, not a written default.
  const SimConfig hbm = load_sim_config(std::nullopt, {"dram.technology=hbm2"});
  const SimConfig table = load_sim_config(std::nullopt, {"dram.technology=table"});
  EXPECT_EQ(hbm.resolved["dram"]["bytes_per_cycle"], "auto");
  EXPECT_NE(hbm.dram.bytes_per_cycle, table.dram.bytes_per_cycle);
}

TEST(Config, ADesignSwitchesDesignAndHash) {
  const auto a = load_sim_config(std::nullopt, {});
  const auto f = load_design_config(std::nullopt, {}, "fixed", "test");
  EXPECT_EQ(f.design.mac, MacKind::FixedPoint);
  EXPECT_EQ(f.resolved["design"]["mac"], "fixed");
  EXPECT_NE(f.hash, a.hash);
}

TEST(Config, UnknownSetKeySuggestsClosest) {
  const std::string e = error_of({"array.rowz=4"});
  EXPECT_NE(e.find("array.rowz"), std::string::npos) << e;
  EXPECT_NE(e.find("did you mean array.rows"), std::string::npos) << e;
}

TEST(Config, RangeBoundaryInclusive) {
  EXPECT_EQ(error_of({"array.rows=1024"}), "");
  EXPECT_NE(error_of({"array.rows=1025"}).find("out of range"), std::string::npos);
  EXPECT_EQ(error_of({"array.rows=1"}), "");
  EXPECT_NE(error_of({"array.rows=0"}).find("out of range"), std::string::npos);
}

TEST(Config, AccumulatorBoundary) {
  // elp5 reaches position 4 -> 9 + 4 + 1 = 14 bits; fixed8: 9 + 8 = 17 bits. Need >= 17.
  EXPECT_NE(error_of({"design.accumulator_bits=16"}).find("design.accumulator_bits"),
            std::string::npos);
  EXPECT_EQ(error_of({"design.accumulator_bits=17"}), "");
}

// Options that would silently do nothing are errors naming the field and what it needs.
TEST(Config, MemoryHierarchyOptionsThatCannotApplyAreErrors) {
  std::string e = error_of({"array.dataflow=os", "array.accumulator_entries=64"});
  EXPECT_NE(e.find("array.accumulator_entries"), std::string::npos) << e;
  EXPECT_NE(e.find("weight-stationary"), std::string::npos) << e;
  e = error_of({"array.fold_timing=scalesim", "array.accumulator_entries=64"});
  EXPECT_NE(e.find("array.fold_timing"), std::string::npos) << e;
  EXPECT_EQ(error_of({"array.accumulator_entries=64"}), "");
  e = error_of({"mapping.order=columns_outer"});
  EXPECT_NE(e.find("mapping.order"), std::string::npos) << e;
  EXPECT_NE(e.find("ntiles_outer"), std::string::npos) << e;
  e = error_of({"mapping.objective=power"});
  EXPECT_NE(e.find("mapping.objective"), std::string::npos) << e;
  EXPECT_NE(error_of({"buffers.output_banks=3"}).find("power of two"), std::string::npos);
  EXPECT_NE(error_of({"buffers.output_port_bytes=0"}).find("out of range"), std::string::npos);
}

TEST(Config, CustomElpFormatParametersApply) {
  const auto c = load_sim_config(
      std::nullopt, {"design.elp.format=custom", "design.elp.terms=3", "design.elp.shift_bits=2",
                     "design.elp.gap_bits=1", "design.elp.positions=7"});
  EXPECT_EQ(c.design.elp.terms, 3);
  EXPECT_EQ(c.design.elp.code_bits(), 1 + 2 + 2 * 2);
}

// A v2 preset's positions and terms can be changed (the earlier 8-position presets, a sweep);
// the name says what changed, and what cannot be built names the field.
TEST(Config, V2PresetPositionsAndTermsCanBeChanged) {
  const auto same =
      load_sim_config(std::nullopt, {"design.elp.format=elp4v2", "design.elp.positions=4"});
  EXPECT_EQ(same.design.elp_name(), "elp4v2");  // the preset's own value: the preset
  const auto c = load_sim_config(
      std::nullopt, {"design.elp.format=elp5v2", "design.elp.positions=8", "design.elp.terms=3"});
  ASSERT_TRUE(c.design.elp_v2.has_value());
  EXPECT_EQ(c.design.elp_name(), "elp5v2k3n8");
  EXPECT_EQ(c.design.elp_v2->positions, 8);
  EXPECT_EQ(c.design.elp_v2->terms, 3);
  EXPECT_EQ(c.design.elp_code_bits(), 5);
  // Too few positions for the codes, too few for the terms, out of range, v1-only fields.
  std::string e = error_of({"design.elp.format=elp5v2", "design.elp.positions=4"});
  EXPECT_NE(e.find("design.elp.positions"), std::string::npos) << e;
  EXPECT_NE(e.find("needs 15 magnitudes"), std::string::npos) << e;
  e = error_of({"design.elp.format=elp3v2", "design.elp.positions=2", "design.elp.terms=3"});
  EXPECT_NE(e.find("fewer digit positions than terms"), std::string::npos) << e;
  EXPECT_NE(e.find(">= k = 3"), std::string::npos) << e;
  e = error_of({"design.elp.format=elp4v2", "design.elp.positions=12"});
  EXPECT_NE(e.find("[2, 10]"), std::string::npos) << e;
  e = error_of({"design.elp.format=elp4v2", "design.elp.shift_bits=3"});
  EXPECT_NE(e.find("design.elp.shift_bits"), std::string::npos) << e;
  e = error_of({"design.elp.format=elp5", "design.elp.positions=6"});
  EXPECT_NE(e.find("or a v2 preset"), std::string::npos) << e;
  // The search's term price: a non-integer real, in the name, v2 only, non-negative.
  const auto priced =
      load_sim_config(std::nullopt, {"design.elp.format=elp6v2", "design.elp.term_price=0.05"});
  EXPECT_EQ(priced.design.elp_name(), "elp6v2p0.05");
  EXPECT_DOUBLE_EQ(priced.design.elp_v2->term_price, 0.05);
  EXPECT_EQ(load_sim_config(std::nullopt, {"design.elp.format=elp6v2", "design.elp.term_price=0.2"})
                .design.elp_name(),
            "elp6v2");  // the preset's own price
  e = error_of({"design.elp.format=elp5", "design.elp.term_price=0.1"});
  EXPECT_NE(e.find("design.elp.term_price"), std::string::npos) << e;
  e = error_of({"design.elp.format=elp5v2", "design.elp.term_price=-1"});
  EXPECT_NE(e.find("design.elp.term_price"), std::string::npos) << e;
}

// A v2 level set given explicitly: used as given (the design's name ends in c); every way it can
// be wrong names the field and the offending magnitude.
TEST(Config, V2LevelSetGivenExplicitly) {
  const auto c = load_sim_config(std::nullopt,
                                 {"design.elp.format=elp4v2", "design.elp.levels=1,2,3,4,6,8,12"});
  ASSERT_TRUE(c.design.elp_v2.has_value());
  EXPECT_EQ(c.design.elp_name(), "elp4v2c");
  EXPECT_EQ(ElpLutFormat::cached(*c.design.elp_v2).magnitudes(),
            (std::vector<std::int32_t>{1, 2, 3, 4, 6, 8, 12}));
  const struct {
    std::vector<std::string> sets;
    std::vector<std::string> expect;
  } bad[] = {
      // more levels than the code has
      {{"design.elp.format=elp4v2", "design.elp.levels=1,2,3,4,5,6,7,8"},
       {"design.elp.levels", "more magnitudes than a 4-bit code", "expected 7"}},
      {{"design.elp.format=elp4v2", "design.elp.levels=1,2,3"}, {"fewer magnitudes", "got 3"}},
      // a level needing more terms than k (11 = 16 - 4 - 1)
      {{"design.elp.format=elp4v2", "design.elp.positions=5", "design.elp.levels=1,2,3,4,6,8,11"},
       {"levels[6]", "needs 3 non-zero digits", "at most k = 2"}},
      // a shift beyond the positions (16 needs position 4, N = 4)
      {{"design.elp.format=elp4v2", "design.elp.levels=1,2,3,4,6,8,16"},
       {"levels[6]", "needs digit position 4", "positions 0..3"}},
      {{"design.elp.format=elp4v2", "design.elp.levels=1,2,4,3,5,6,8"}, {"levels[3]", "ascending"}},
      {{"design.elp.format=elp4v2", "design.elp.levels=1,2,x,4,5,6,8"},
       {"design.elp.levels", "not a list of positive integers", "\"x\""}},
      {{"design.elp.format=elp4v2l", "design.elp.levels=1,2,3,4,6,8,12"}, {"per-layer"}},
      {{"design.elp.format=elp5", "design.elp.levels=1,2,3,4,6,8,12"}, {"only used with a v2"}},
  };
  for (const auto& b : bad) {
    const std::string e = error_of(b.sets);
    for (const auto& want : b.expect)
      EXPECT_NE(e.find(want), std::string::npos) << b.sets.back() << ": " << e;
  }
}

TEST(Config, UnsupportedCustomFormatNamesFieldAndRange) {
  const std::string e =
      error_of({"design.elp.format=custom", "design.elp.shift_bits=4", "design.elp.positions=8"});
  EXPECT_NE(e.find("shift_bits"), std::string::npos) << e;
  EXPECT_NE(e.find("expected <= 3"), std::string::npos) << e;
}

TEST(Config, SchemaListsEveryParameterOnce) {
  const auto schema = sim_params().schema_json();
  EXPECT_EQ(schema.size(), sim_params().specs().size());
  for (const auto& p : schema) {
    EXPECT_FALSE(p["description"].get<std::string>().empty()) << p["name"];
    EXPECT_FALSE(p["unit"].get<std::string>().empty()) << p["name"];
  }
}

// The README's parameter table is generated by `conlocnn-sim config --schema`; it must not drift.
TEST(Config, ReadmeParameterTableMatchesSchema) {
  std::ifstream in(std::string(CONLOCNN_SOURCE_DIR) + "/README.md");
  ASSERT_TRUE(in) << "README.md not found";
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string readme = ss.str();
  const std::string begin =
      "<!-- BEGIN PARAMS (generated: build/conlocnn-sim config --schema) -->\n";
  const std::string end = "<!-- END PARAMS -->";
  const auto b = readme.find(begin);
  const auto e = readme.find(end);
  ASSERT_NE(b, std::string::npos);
  ASSERT_NE(e, std::string::npos);
  EXPECT_EQ(readme.substr(b + begin.size(), e - b - begin.size()), sim_params().schema_markdown())
      << "regenerate the README table with: build/conlocnn-sim config --schema";
}

// Every registry name builds a valid configuration whose label is that name (so comparison
// columns and folders are named after what the user asked for).
TEST(DesignRegistry, EveryNameResolvesToItself) {
  const SimConfig base = load_sim_config(std::nullopt, {});
  for (const auto& name : design_names()) {
    const SimConfig c = load_design_config(std::nullopt, {}, name, "--designs");
    if (name == "elp") {
      EXPECT_EQ(design_label(c), "elp5");
    } else if (name == "fixed") {
      EXPECT_EQ(design_label(c), "fixed8");
    } else {
      EXPECT_EQ(design_label(c), name);
    }
    EXPECT_EQ(c.array.rows, base.array.rows);  // only the design changes
  }
  EXPECT_EQ(default_comparison(base), (std::vector<std::string>{"elp", "fixed5", "fixed8"}));
  const SimConfig wide = load_sim_config(std::nullopt, {"design.elp.format=elp8"});
  EXPECT_EQ(default_comparison(wide), (std::vector<std::string>{"elp", "fixed8"}));
}

// A SCALE-Sim v2 .cfg is read as the config it names (docs/timing.md, "SCALE-Sim configurations"):
// its own google.cfg, and a USER-bandwidth variant; every malformed or unknown part is refused
// naming the file, the line or section, and the key.
// array.dataflow = is: read, and refused with what it cannot run (column accumulators, the
// term-serial MAC), naming the field.
TEST(Config, InputStationaryAndWhatItCannotRun) {
  EXPECT_EQ(load_sim_config(std::nullopt, {"array.dataflow=is"}).array.dataflow,
            Dataflow::InputStationary);
  auto error = [](const std::vector<std::string>& sets) {
    try {
      load_sim_config(std::nullopt, sets);
    } catch (const UserError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_NE(error({"array.dataflow=is", "array.accumulator_entries=64"})
                .find("array.accumulator_entries: column accumulators are modelled for a "
                      "weight-stationary array only, but array.dataflow is \"is\""),
            std::string::npos);
  EXPECT_NE(error({"array.dataflow=is", "design.elp.mac=serial"})
                .find("design.elp.mac: the term-serial MAC is modelled on weight- and "
                      "output-stationary arrays only"),
            std::string::npos);
}

TEST(Config, ScaleSimCfgFilesAreReadKeyByKey) {
  const SimConfig g =
      load_sim_config(std::string(CONLOCNN_SOURCE_DIR) + "/tests/data/scalesim-v2/google.cfg", {});
  EXPECT_EQ(g.array.rows, 256);
  EXPECT_EQ(g.array.cols, 256);
  EXPECT_EQ(g.array.dataflow, Dataflow::WeightStationary);
  EXPECT_TRUE(g.array.scalesim_folds);
  EXPECT_EQ(g.buffers.weight_bytes, 6144u * 1024);
  EXPECT_EQ(g.buffers.activation_bytes, 6144u * 1024);
  EXPECT_EQ(g.buffers.output_bytes, 2048u * 1024);
  EXPECT_EQ(g.dram.bytes_per_cycle, 4096.0);  // CALC: a bandwidth that never stalls
  EXPECT_EQ(g.design.mac, MacKind::FixedPoint);
  const std::string dir = test::make_temp_dir("scalesim-cfg");
  const std::string base =
      "[general]\nrun_name = r\n\n[architecture_presets]\nArrayHeight: 8\nArrayWidth: 12\n"
      "IfmapSramSzkB: 64\nFilterSramSzkB: 32\nOfmapSramSzkB: 16\nIfmapOffset: 0\n"
      "FilterOffset: 10000000\nOfmapOffset: 20000000\nDataflow : os\nMemoryBanks: 2\n";
  std::ofstream(dir + "/user.cfg") << base << "Bandwidth : 10\n[run_presets]\n"
                                   << "InterfaceBandwidth: USER\n";
  const SimConfig u = load_sim_config(dir + "/user.cfg", {});
  EXPECT_EQ(u.array.rows, 8);
  EXPECT_EQ(u.array.cols, 12);
  EXPECT_EQ(u.array.dataflow, Dataflow::OutputStationary);
  EXPECT_EQ(u.buffers.weight_bytes, 32u * 1024);
  EXPECT_EQ(u.dram.bytes_per_cycle, 10.0);
  EXPECT_EQ(u.resolved["buffers"]["weight_banks"], 2);
  auto error = [&](const std::string& name, const std::string& text) {
    std::ofstream(dir + "/" + name) << text;
    try {
      load_sim_config(dir + "/" + name, {});
    } catch (const UserError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  const std::string calc = "[run_presets]\nInterfaceBandwidth: CALC\n";
  EXPECT_NE(error("unknown.cfg", base + "SparsitySupport: true\n" + calc)
                .find("unknown.cfg: line 15: architecture_presets.sparsitysupport: unknown "
                      "SCALE-Sim key"),
            std::string::npos);
  EXPECT_EQ(load_sim_config(
                std::string(CONLOCNN_SOURCE_DIR) + "/tests/data/scalesim-v2/google_is.cfg", {})
                .array.dataflow,
            Dataflow::InputStationary);
  std::string rs = base;
  rs.replace(rs.find("Dataflow : os"), 13, "Dataflow : rs");
  EXPECT_NE(error("rs.cfg", rs + calc)
                .find("rs.cfg: line 13: architecture_presets.dataflow: unknown dataflow; got rs; "
                      "expected os, ws or is"),
            std::string::npos);
  EXPECT_NE(error("nosec.cfg", base).find("nosec.cfg: [run_presets]: missing section"),
            std::string::npos);
  EXPECT_NE(error("nobw.cfg", base + "[run_presets]\nInterfaceBandwidth: USER\n")
                .find("nobw.cfg: architecture_presets.bandwidth: missing key"),
            std::string::npos);
  EXPECT_NE(error("net.cfg", base + calc + "[network_presets]\nTopologyCsvLoc: \"x.csv\"\n")
                .find("[network_presets]: a topology named in the config is not read here"),
            std::string::npos);
  EXPECT_NE(error("line.cfg", base + calc + "ArrayHeight\n")
                .find("line.cfg: line 17: expected a key = value line"),
            std::string::npos);
  std::string neg = base;
  neg.replace(neg.find("ArrayHeight: 8"), 14, "ArrayHeight: -4");
  EXPECT_NE(error("neg.cfg", neg + calc)
                .find("neg.cfg: line 5: architecture_presets.arrayheight: not an integer in range; "
                      "got \"-4\""),
            std::string::npos);
}

// A design's folder (`compare`) is its label with '/' (a layer's own compensation) and '%'
// percent-encoded: one folder, never a nested path, and distinct labels stay distinct.
TEST(DesignRegistry, FolderNamesAreOnePathComponent) {
  EXPECT_EQ(design_folder("fixed8@design.layer_formats=conv3=fixed4/both"),
            "fixed8@design.layer_formats=conv3=fixed4%2Fboth");
  EXPECT_EQ(design_folder("a%2Fb"), "a%252Fb");
  EXPECT_NE(design_folder("a%2Fb"), design_folder("a/b"));
  EXPECT_EQ(design_folder("elp5"), "elp5");
}
