// `run` and `compare` end to end, as a user runs them: files, columns, exit codes, errors.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <set>
#include <sstream>

#include "modules/base/error.h"
#include "sim/config/sim_config.h"
#include "sim/workload/npy.h"
#include "tests/e2e/cli_runner.h"
#include "tests/support/param_values.h"

using conloc::load_sim_config;
using conloc::ParamAssignment;
using conloc::ParamSpec;
using conloc::sim_params;
using conloc::SimConfig;
using conloc::UserError;
using conloc::test::alternatives;
using conloc::test::make_temp_dir;
using conloc::test::run_cli;
using conloc::test::slurp;
using conloc::test::write_file;

namespace {

std::vector<std::string> csv_header(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  std::vector<std::string> cols;
  std::stringstream ss(line);
  for (std::string c; std::getline(ss, c, ',');) {
    const auto b = c.find_first_not_of(' ');
    if (b != std::string::npos) cols.push_back(c.substr(b));
  }
  return cols;
}

bool has(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

}  // namespace

TEST(RunCli, WritesEveryOutputWithUnitsInColumnNames) {
  const std::string dir = make_temp_dir("run");
  const auto r = run_cli({"run", "--workload", "tinycnn", "--out", dir + "/o"}, dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("bit-exact"), std::string::npos) << r.out;
  const auto cols = csv_header(dir + "/o/layers.csv");
  for (const char* c :
       {"layer", "type", "macs", "cycles", "stall_cycles", "utilization_pct",
        "dram_weights_read_bytes", "dram_inputs_read_bytes", "dram_outputs_written_bytes",
        "weight_buffer_weights_read_bytes", "activation_sram_inputs_read_bytes",
        "output_buffer_written_bytes", "mac_pj", "dram_pj", "compensation_adder_pj",
        "vector_unit_pj", "energy_pj", "energy_per_mac_pj"}) {
    EXPECT_TRUE(has(cols, c)) << c;
  }
  const auto s = nlohmann::json::parse(slurp(dir + "/o/summary.json"));
  for (const char* k :
       {"macs", "cycles", "stall_cycles", "latency_s", "energy_pj", "energy_breakdown_pj",
        "dram_bytes_read", "dram_bytes_written", "config_hash", "energy_table"}) {
    EXPECT_TRUE(s.contains(k)) << k;
  }
  EXPECT_EQ(s["bit_exact"], true);
  EXPECT_GT(s["energy_pj"].get<double>(), 0);
  // The wall split names every stage, the workload's loading (an ONNX import) included.
  for (const char* k : {"load", "compile", "plan", "simulate"})
    EXPECT_TRUE(s["wall_seconds_by_stage"].contains(k)) << k;
  EXPECT_NE(r.out.find("wall      "), std::string::npos);
  EXPECT_NE(r.out.find(": load "), std::string::npos) << r.out;
  // The breakdown adds up to the total, and the layers add up to the summary.
  double sum = 0;
  for (auto it = s["energy_breakdown_pj"].begin(); it != s["energy_breakdown_pj"].end(); ++it)
    sum += it->get<double>();
  EXPECT_NEAR(sum, s["energy_pj"].get<double>(), 1e-6 * sum);
  const auto layers = nlohmann::json::parse(slurp(dir + "/o/layers.json"));
  std::int64_t cycles = 0, macs = 0;
  for (const auto& l : layers) {
    cycles += l["cycles"].get<std::int64_t>();
    macs += l["macs"].get<std::int64_t>();
  }
  EXPECT_EQ(cycles, s["cycles"].get<std::int64_t>());
  EXPECT_EQ(macs, s["macs"].get<std::int64_t>());
  const auto cfg = nlohmann::json::parse(slurp(dir + "/o/config.json"));
  EXPECT_EQ(cfg["array"]["rows"], 16);
  EXPECT_EQ(csv_header(dir + "/o/COMPUTE_REPORT.csv"),
            (std::vector<std::string>{"LayerID", "Total Cycles", "Stall Cycles", "Overall Util %",
                                      "Mapping Efficiency %", "Compute Util %"}));
  EXPECT_TRUE(has(csv_header(dir + "/o/BANDWIDTH_REPORT.csv"), "Avg FILTER DRAM BW"));
  EXPECT_TRUE(has(csv_header(dir + "/o/DETAILED_ACCESS_REPORT.csv"), "DRAM OFMAP Writes"));
  const auto tl = nlohmann::json::parse(slurp(dir + "/o/timeline.json"));
  EXPECT_GT(tl["traceEvents"].size(), 10u);
}

// One number per question: a timing-only run prices the same compiled network's operands as a
// functional one, so every figure but the value check is the same, in both dataflows, whichever
// model prices the MACs (characterised on WS, structural on OS).
TEST(RunCli, TimingOnlyEqualsFunctionalButForTheValues) {
  const std::string dir = make_temp_dir("timing");
  for (const std::string df : {"ws", "os"}) {
    const std::vector<std::string> base = {"run", "--workload", "tinycnn", "--set",
                                           "array.dataflow=" + df};
    std::vector<std::string> f = base, t = base;
    f.insert(f.end(), {"--out", dir + "/f" + df});
    t.insert(t.end(), {"--timing-only", "--out", dir + "/t" + df});
    ASSERT_EQ(run_cli(f, dir).exit_code, 0);
    ASSERT_EQ(run_cli(t, dir).exit_code, 0);
    const auto fs = nlohmann::json::parse(slurp(dir + "/f" + df + "/summary.json"));
    const auto ts = nlohmann::json::parse(slurp(dir + "/t" + df + "/summary.json"));
    EXPECT_EQ(fs["bit_exact"], true) << df;
    EXPECT_TRUE(ts["bit_exact"].is_null()) << df;
    for (const char* k :
         {"cycles", "stall_cycles", "dram_bytes_read", "dram_bytes_written", "mac_layers",
          "mac_layers_characterised", "mac_layers_simulated_operands"})
      EXPECT_EQ(fs[k], ts[k]) << df << " " << k;
    // Every energy component to the last digit, the MAC's included.
    const auto& fe = fs["energy_breakdown_pj"];
    const auto& te = ts["energy_breakdown_pj"];
    for (auto it = fe.begin(); it != fe.end(); ++it)
      EXPECT_EQ(it->get<double>(), te[it.key()].get<double>()) << df << " " << it.key();
    EXPECT_EQ(fs["mac_layers_characterised"], df == "ws" ? fs["mac_layers"] : nlohmann::json(0))
        << df;
  }
}

// A run of a network compiled before reads it from the compile cache and writes the same files,
// byte for byte, as the run that compiled it (summary.json differs only in wall-clock fields and
// in saying where the compile came from); another array shares the entry; "off" reads nothing.
TEST(RunCli, CompileCacheRunsWriteWhatCompiledRunsWrite) {
  const std::string dir = make_temp_dir("cache-run");
  setenv("CONLOCNN_CACHE_DIR", (dir + "/cache").c_str(), 1);
  auto run = [&](const std::string& out, const std::vector<std::string>& more) {
    std::vector<std::string> a = {"run", "--workload", "mobilenet_v2", "--out", dir + "/" + out};
    a.insert(a.end(), more.begin(), more.end());
    const conloc::test::CliResult r = run_cli(a, dir);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out;
  };
  EXPECT_EQ(run("cold", {}).find("(cached)"), std::string::npos);
  EXPECT_NE(run("warm", {}).find("(cached)"), std::string::npos);
  EXPECT_NE(run("array", {"--timing-only", "--set", "array.rows=8"}).find("(cached)"),
            std::string::npos);
  for (const char* f : {"layers.csv", "layers.json", "timeline.json", "COMPUTE_REPORT.csv",
                        "BANDWIDTH_REPORT.csv", "DETAILED_ACCESS_REPORT.csv", "config.json"})
    EXPECT_EQ(slurp(dir + "/cold/" + f), slurp(dir + "/warm/" + f)) << f;
  auto summary = [&](const std::string& out) {
    auto s = nlohmann::json::parse(slurp(dir + "/" + out + "/summary.json"));
    for (const char* k : {"wall_seconds", "wall_seconds_by_stage", "simulated_macs_per_second"})
      s.erase(k);
    return s;
  };
  nlohmann::json cold = summary("cold"), warm = summary("warm");
  EXPECT_EQ(cold["compile_cached"], false);
  EXPECT_EQ(warm["compile_cached"], true);
  cold.erase("compile_cached");
  warm.erase("compile_cached");
  EXPECT_EQ(cold, warm);
  setenv("CONLOCNN_CACHE_DIR", "off", 1);
  EXPECT_EQ(run("off", {}).find("(cached)"), std::string::npos);
  EXPECT_EQ(slurp(dir + "/cold/layers.csv"), slurp(dir + "/off/layers.csv"));
}

// The default comparison: the configured ELP_BSD design, fixed point of the same code width and
// the configured fixed point (8-bit), the last being the baseline.
TEST(RunCli, CompareDefaultIncludesSameWidthFixedPoint) {
  const std::string dir = make_temp_dir("compare");
  const auto r = run_cli({"compare", "--workload", "tinycnn", "--out", dir + "/c"}, dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("TOTAL"), std::string::npos);
  const auto j = nlohmann::json::parse(slurp(dir + "/c/comparison.json"));
  EXPECT_EQ(j["order"], nlohmann::json({"elp5", "fixed5", "fixed8"}));
  EXPECT_EQ(j["baseline"], "fixed8");
  EXPECT_EQ(j["designs"]["fixed5"]["weight_code_bits"], 5);
  EXPECT_EQ(j["designs"]["elp5"]["weight_code_bits"], 5);
  // The two-design keys of earlier versions: the ELP_BSD design and the baseline.
  EXPECT_EQ(j["elp"]["design"], "elp5");
  EXPECT_EQ(j["fixed"]["design"], "fixed8");
  EXPECT_EQ(j["layers"].back()["layer"], "TOTAL");
  // Same array, buffers and clock: only the MAC design differs.
  EXPECT_EQ(j["designs"]["elp5"]["array"], j["designs"]["fixed8"]["array"]);
  EXPECT_NE(j["designs"]["elp5"]["config_hash"], j["designs"]["fixed5"]["config_hash"]);
  const auto csv = slurp(dir + "/c/comparison.csv");
  EXPECT_NE(csv.find("\nTOTAL,"), std::string::npos);
  const auto header = csv_header(dir + "/c/comparison.csv");
  EXPECT_TRUE(has(header, "elp5_energy_vs_fixed8"));
  EXPECT_TRUE(has(header, "fixed5_energy_vs_fixed8"));
  EXPECT_FALSE(has(header, "fixed8_energy_vs_fixed8"));
  for (const char* d : {"elp5", "fixed5", "fixed8"})
    EXPECT_FALSE(slurp(dir + "/c/" + d + "/layers.csv").empty()) << d;
  // Equal code width moves equal weight bytes; 8-bit weights move more.
  const auto total = j["layers"].back()["designs"];
  EXPECT_EQ(total["elp5"]["dram_weight_bytes"], total["fixed5"]["dram_weight_bytes"]);
  EXPECT_LT(total["fixed5"]["dram_weight_bytes"].get<double>(),
            total["fixed8"]["dram_weight_bytes"].get<double>());
  // Ratios are to the baseline and consistent with the energies.
  const auto& e = total;
  EXPECT_NEAR(e["elp5"]["energy_vs_baseline"].get<double>(),
              e["elp5"]["energy_pj"].get<double>() / e["fixed8"]["energy_pj"].get<double>(), 1e-12);
}

TEST(RunCli, CompareAnySetOfDesigns) {
  const std::string dir = make_temp_dir("compare-designs");
  const auto r = run_cli({"compare", "--workload", "tinycnn", "--timing-only", "--designs",
                          "elp4,elp5-serial,fixed4,fixed6", "--out", dir + "/c"},
                         dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(slurp(dir + "/c/comparison.json"));
  EXPECT_EQ(j["order"], nlohmann::json({"elp4", "elp5-serial", "fixed4", "fixed6"}));
  EXPECT_EQ(j["baseline"], "fixed6");
  EXPECT_FALSE(j.contains("elp"));
  // Term-serial two-term codes take more cycles than the one-cycle designs.
  const auto total = j["layers"].back()["designs"];
  EXPECT_GT(total["elp5-serial"]["cycles"].get<double>(), total["elp4"]["cycles"].get<double>());
  EXPECT_EQ(j["designs"]["fixed4"]["weight_code_bits"], 4);
}

TEST(RunCli, CompareRejectsBadDesignLists) {
  struct Bad {
    std::string designs, needle;
  };
  for (const Bad& b : std::vector<Bad>{{"elp5,fxed8", "--designs: unknown design; got \"fxed8\""},
                                       {"elp5,fxed8", "did you mean fixed8?"},
                                       {"elp,elp5", "--designs: duplicate design"},
                                       {"elp5", "at least two designs"}}) {
    const auto r = run_cli({"compare", "--workload", "tinycnn", "--timing-only", "--designs",
                            b.designs, "--out", make_temp_dir("bad-designs")});
    EXPECT_EQ(r.exit_code, 2) << b.designs;
    EXPECT_NE(r.err.find(b.needle), std::string::npos) << b.designs << ": " << r.err;
  }
}

TEST(RunCli, RunTakesADesignName) {
  const std::string dir = make_temp_dir("run-design");
  const auto r = run_cli(
      {"run", "--workload", "tinycnn", "--timing-only", "--design", "fixed5", "--out", dir + "/o"},
      dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto s = nlohmann::json::parse(slurp(dir + "/o/summary.json"));
  EXPECT_EQ(s["design"], "fixed5");
  EXPECT_EQ(s["weight_code_bits"], 5);
}

TEST(RunCli, UnknownWorkloadListsKnownOnes) {
  const auto r = run_cli({"run", "--workload", "resnet99"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("resnet50"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("resnet99"), std::string::npos) << r.err;
}

TEST(RunCli, MalformedNetworkFileNamesFileAndPath) {
  const std::string dir = make_temp_dir("netjson");
  write_file(dir + "/net.json", R"({"name": "n", "input": [8, 8, 3], "layers": [
    {"name": "c1", "type": "conv", "out_channels": 4, "kernel": 3, "pad": 1},
    {"name": "c2", "type": "conv", "out_channels": 4, "kernel": "3"}]})");
  const auto r = run_cli({"run", "--workload", dir + "/net.json", "--out", dir + "/o"}, dir);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("net.json"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("layers[1].kernel"), std::string::npos) << r.err;
}

TEST(RunCli, NetworkFileRuns) {
  const std::string dir = make_temp_dir("netjson2");
  write_file(dir + "/net.json", R"({"name": "mini", "input": [10, 10, 3], "layers": [
    {"name": "c1", "type": "conv", "out_channels": 8, "kernel": 3, "pad": 1, "act": "relu"},
    {"name": "p1", "type": "maxpool", "kernel": 2, "stride": 2},
    {"name": "c2", "type": "conv", "out_channels": 8, "kernel": 3, "pad": 1},
    {"name": "a1", "type": "add", "inputs": ["c2", "p1"], "act": "relu"},
    {"name": "fc", "type": "fc", "out_channels": 5}]})");
  const auto r = run_cli({"run", "--workload", dir + "/net.json", "--out", dir + "/o"}, dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("bit-exact"), std::string::npos) << r.out;
}

TEST(RunCli, LayerThatCannotBeTiledExitsTwo) {
  // conv1 needs 7 input rows x 224 columns of one channel (1568 B) per output row; a 1 KiB
  // activation SRAM has 512 B halves.
  const auto r = run_cli({"run", "--workload", "resnet18", "--timing-only", "--set",
                          "buffers.activation_kib=1", "--set", "dram.burst_bytes=64"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("layer conv1"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("activation SRAM"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("buffers.activation_kib"), std::string::npos) << r.err;
}

// Stall-free SCALE-Sim presets on ResNet-50: our closed form against the standard fold model
// (per fold T + rows + cols - 2), summed over the PE-array layers (docs/timing.md).
TEST(RunCli, ResNet50AgreesWithStandardFoldModel) {
  for (const char* preset : {"scalesim-32x32-os", "scalesim-256x256-ws"}) {
    const std::string dir = make_temp_dir("r50");
    // Our own fold timing on the mirror presets' arrays (not SCALE-Sim's: array.fold_timing).
    const auto r =
        run_cli({"run", "--workload", "resnet50", "--timing-only", "--config",
                 std::string(CONLOCNN_SOURCE_DIR) + "/configs/presets/" + preset + ".json", "--set",
                 "array.fold_timing=used", "--out", dir + "/o"},
                dir);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto layers = nlohmann::json::parse(slurp(dir + "/o/layers.json"));
    double ours = 0, standard = 0, stalls = 0, cycles = 0;
    for (const auto& l : layers) {
      if (l["standard_fold_cycles"].get<double>() == 0) continue;
      ours += l["compute_cycles"].get<double>();
      standard += l["standard_fold_cycles"].get<double>();
      stalls += l["stall_cycles"].get<double>();
      cycles += l["cycles"].get<double>();
    }
    EXPECT_NEAR(ours / standard, 1.0, 0.03) << preset;
    EXPECT_LT(stalls / cycles, 0.05) << preset << ": the preset should be nearly stall-free";
  }
}

// A batch is part of the streamed dimension: with buffers that hold several images' bands, a
// loaded weight block serves all of them (WS), and an OS array fills more rows with pixels of
// several images; MACs per inference do not change.
TEST(RunCli, BatchReusesWeightsAndFillsRows) {
  struct Out {
    double macs, weights, per_inference_pj, energy_pj, eff_7x7;
    int batch;
  };
  auto run = [](const std::string& dataflow, int batch) {
    const std::string dir = make_temp_dir("batch");
    const auto r =
        run_cli({"run", "--workload", "resnet18", "--timing-only", "--batch", std::to_string(batch),
                 "--set", "array.dataflow=" + dataflow, "--set", "buffers.activation_kib=512",
                 "--set", "buffers.output_kib=512", "--out", dir + "/o"},
                dir);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    const auto s = nlohmann::json::parse(slurp(dir + "/o/summary.json"));
    const auto layers = nlohmann::json::parse(slurp(dir + "/o/layers.json"));
    Out o{};
    o.batch = s["batch"];
    o.macs = s["macs"].get<double>() / o.batch;
    o.energy_pj = s["energy_pj"];
    o.per_inference_pj = s["energy_per_inference_pj"];
    for (const auto& l : layers) {
      o.weights += l["dram_weights_read_bytes"].get<double>() / o.batch;
      if (l["layer"] == "layer4.1.conv1") o.eff_7x7 = l["mapping_efficiency_pct"];
    }
    return o;
  };
  for (const char* df : {"ws", "os"}) {
    const Out one = run(df, 1), eight = run(df, 8);
    EXPECT_EQ(eight.batch, 8);
    EXPECT_EQ(eight.macs, one.macs) << df;
    EXPECT_LT(eight.weights, 0.5 * one.weights) << df;  // each block serves several images
    EXPECT_NEAR(eight.per_inference_pj, eight.energy_pj / 8, 1e-6 * eight.energy_pj);
    EXPECT_LT(eight.per_inference_pj, one.per_inference_pj) << df;
    if (std::string(df) == "os") {
      EXPECT_GT(eight.eff_7x7, one.eff_7x7 + 5.0);  // 49 pixels of one image on 16 rows
    }
  }
}

TEST(RunCli, BatchOfTrainedImagesBitExactAndBounded) {
  const std::string dir = make_temp_dir("batch-npy");
  const std::string net = std::string(CONLOCNN_SOURCE_DIR) + "/workloads/fmnist_cnn/network.json";
  auto r = run_cli({"run", "--workload", net, "--image", "10", "--batch", "4", "--out", dir + "/o"},
                   dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("bit-exact"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("batch     4 images; per inference"), std::string::npos) << r.out;
  r = run_cli({"run", "--workload", net, "--image", "199", "--batch", "2", "--out", dir + "/p"},
              dir);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(
      r.err.find("image index: out of range; got 200 (image 1 of the batch from --image 199)"),
      std::string::npos)
      << r.err;
  r = run_cli({"run", "--batch", "0", "--timing-only", "--out", dir + "/q"}, dir);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("workload.batch"), std::string::npos) << r.err;
}

// Column accumulators on the default run: the output buffer stops being the largest cost (it
// was 59 % with every row fold read-modify-writing it), the accumulators get their own entry, and
// values stay bit-exact (a functional run of the small CNN).
TEST(RunCli, AccumulatorsTakePsumTrafficOffTheOutputBuffer) {
  const std::string dir = make_temp_dir("accum");
  auto summary = [&](const std::string& entries, const std::string& out) {
    // The per-bit Horowitz table, where the psum traffic is most of the energy.
    const auto r = run_cli({"run", "--timing-only", "--set", "array.accumulator_entries=" + entries,
                            "--set", "energy.table=horowitz45", "--out", dir + "/" + out},
                           dir);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return nlohmann::json::parse(slurp(dir + "/" + out + "/summary.json"));
  };
  const auto none = summary("0", "a"), acc = summary("1024", "b");
  const double e0 = none["energy_pj"], e1 = acc["energy_pj"];
  EXPECT_LT(e1, e0);
  EXPECT_EQ(none["energy_breakdown_pj"]["accumulators"], 0.0);
  EXPECT_GT(acc["energy_breakdown_pj"]["accumulators"].get<double>(), 0.0);
  EXPECT_GT(none["energy_breakdown_pj"]["output_buffer"].get<double>() / e0, 0.5);
  EXPECT_LT(acc["energy_breakdown_pj"]["output_buffer"].get<double>() / e1, 0.1);
  EXPECT_EQ(acc["macs"], none["macs"]);
  const auto r = run_cli({"run", "--workload", "tinycnn", "--set", "array.accumulator_entries=64",
                          "--out", dir + "/c"},
                         dir);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("bit-exact"), std::string::npos) << r.out;
}

// A fixed loop order is kept on every conv layer, also in tiny buffers; the mapping is in
// layers.csv and layers.json.
TEST(RunCli, FixedMappingOrderHoldsOnEveryLayer) {
  const std::string dir = make_temp_dir("order");
  const auto r = run_cli({"run", "--workload", "tinycnn", "--set", "mapping.order=ntiles_outer",
                          "--set", "buffers.weight_kib=1", "--set", "buffers.activation_kib=2",
                          "--set", "buffers.output_kib=2", "--out", dir + "/o"},
                         dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("bit-exact"), std::string::npos) << r.out;
  const auto layers = nlohmann::json::parse(slurp(dir + "/o/layers.json"));
  int conv = 0;
  for (const auto& l : layers) {
    if (l["type"] != "conv" && l["type"] != "fc") continue;
    ++conv;
    EXPECT_EQ(l["tiling"]["order"], "ntiles_outer") << l["layer"];
    EXPECT_EQ(l["mapping"].get<std::string>().rfind("ntiles_outer ", 0), 0u) << l["layer"];
  }
  EXPECT_EQ(conv, 5);
}

TEST(RtlCli, WritesEveryDesignsVerilogAndRefusesBadOutputs) {
  const std::string dir = make_temp_dir("rtl");
  auto r = run_cli({"rtl", "--design", "elp5", "--out", dir + "/a"}, dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(slurp(dir + "/a/conloc_mac.v").find("module conloc_mac"), std::string::npos);
  EXPECT_NE(slurp(dir + "/a/README.md").find("| `code` | 5 |"), std::string::npos);
  r = run_cli({"rtl", "--design", "elp5", "--out", dir + "/a"}, dir);  // its own output: fine
  EXPECT_EQ(r.exit_code, 0) << r.err;
  write_file(dir + "/a/notes.txt", "mine");
  r = run_cli({"rtl", "--design", "elp5", "--out", dir + "/a"}, dir);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("folder holds other files"), std::string::npos) << r.err;
  r = run_cli({"rtl", "--design", "elp5v2", "--out", dir + "/v2"}, dir);  // a fixed decoder
  EXPECT_EQ(r.exit_code, 0) << r.err;
  // The fixed decoder is its own module, kept apart through synthesis (the PE sees decoded
  // fields), and instantiated by the MAC; a loadable table has none.
  const std::string v2 = slurp(dir + "/v2/conloc_mac.v");
  EXPECT_NE(v2.find("case (idx)"), std::string::npos);
  EXPECT_NE(v2.find("(* keep_hierarchy *)\nmodule conloc_dec"), std::string::npos);
  EXPECT_NE(v2.find("conloc_dec u_dec (.idx(idx), .dec(dec));"), std::string::npos);
  EXPECT_NE(slurp(dir + "/v2/README.md").find("`conloc_dec`"), std::string::npos);
  // A per-layer level set: a loadable decoder table, and its entries beside the vectors (15
  // magnitudes); a fixed design written over it leaves no stale table behind.
  r = run_cli({"rtl", "--design", "elp5v2l", "--out", dir + "/b"}, dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(slurp(dir + "/b/conloc_mac.v").find("tbl_we"), std::string::npos);
  EXPECT_EQ(slurp(dir + "/b/conloc_mac.v").find("conloc_dec"), std::string::npos);
  const std::string table = slurp(dir + "/b/table.txt");
  EXPECT_EQ(std::count(table.begin(), table.end(), '\n'), 15);
  // Every magnitude of at most two signed digits at positions 0..4 it can hold: 1, 2, 4, 8, 16;
  // the sums 3, 5, 6, 9, 10, 12, 17, 18, 20, 24; the differences 7, 14, 15 (18 of them), each
  // with the entry the PE's own sets use (1: term 1 enabled, positive, position 0 = 0b10000).
  const std::string values = slurp(dir + "/b/values.txt");
  EXPECT_EQ(std::count(values.begin(), values.end(), '\n'), 18) << values;
  EXPECT_EQ(values.substr(0, values.find('\n')), "1 16");
  r = run_cli({"rtl", "--design", "elp5", "--out", dir + "/b"}, dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir + "/b/table.txt"));
  EXPECT_FALSE(std::filesystem::exists(dir + "/b/values.txt"));
  // Term-serial: clocked, with the timing model's cycles as the vectors' fifth column.
  r = run_cli({"rtl", "--design", "elp5-serial", "--out", dir + "/c"}, dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(slurp(dir + "/c/conloc_mac.v").find("output wire        done"), std::string::npos);
  std::istringstream first(slurp(dir + "/c/vectors.txt"));
  std::int64_t code, a, acc, out, cycles = 0;
  ASSERT_TRUE(first >> code >> a >> acc >> out >> cycles);
  EXPECT_GE(cycles, 1);
  const std::string cnn = std::string(CONLOCNN_SOURCE_DIR) + "/workloads/fmnist_cnn/network.json";
  // A per-layer set's stream carries that layer's decoder table.
  r = run_cli({"rtl", "--design", "elp5v2l", "--out", dir + "/sl", "--stream", cnn + ":conv3"},
              dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(slurp(dir + "/sl/stream-conv3.txt").find("\n# table 15 "), std::string::npos);
  r = run_cli({"rtl", "--design", "elp5", "--out", dir + "/s", "--stream", cnn + ":conv2"}, dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(slurp(dir + "/s/stream-conv2.txt").rfind("# model_pj_per_mac ", 0), 0u);
  r = run_cli({"rtl", "--design", "elp5", "--out", dir + "/t", "--stream", cnn + ":pool1"}, dir);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("no conv or fc layer of that name"), std::string::npos) << r.err;
  r = run_cli(
      {"rtl", "--design", "elp5", "--out", dir + "/w", "--stream", cnn + ":conv2", "--stream",
       std::string(CONLOCNN_SOURCE_DIR) + "/workloads/fmnist_resnet/network.json:conv2"},
      dir);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("two streams of layers named the same"), std::string::npos) << r.err;
  r = run_cli({"rtl", "--design", "elp5", "--out", dir + "/u", "--stream", cnn}, dir);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("not WORKLOAD:LAYER"), std::string::npos) << r.err;
  // A --set that only makes sense for the named design is checked with it, not with the default.
  r = run_cli(
      {"rtl", "--design", "elp6v2", "--set", "design.elp.positions=8", "--out", dir + "/n8"}, dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("elp6v2n8:"), std::string::npos) << r.out;
  r = run_cli({"compare", "--designs", "elp4v2,elp5v2,fixed4", "--set", "design.elp.positions=8",
               "--workload", "tinycnn", "--timing-only", "--out", dir + "/cmp"},
              dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("elp4v2n8"), std::string::npos) << r.out;
  // accuracy too: the override changes the v2 format's level set, so its weight SQNR.
  auto conv2_row = [&](const std::string& out, std::vector<std::string> extra) {
    std::vector<std::string> a = {"accuracy",
                                  "--workload",
                                  cnn,
                                  "--images",
                                  "20",
                                  "--calibration",
                                  "10",
                                  "--formats",
                                  "elp4v2,fixed4",
                                  "--compensation",
                                  "none",
                                  "--activation-bits",
                                  "8",
                                  "--out",
                                  dir + "/" + out};
    a.insert(a.end(), extra.begin(), extra.end());
    const auto rr = run_cli(a, dir);
    EXPECT_EQ(rr.exit_code, 0) << rr.err;
    const std::string csv = slurp(dir + "/" + out + "/layers.csv");
    const auto at = csv.find("\nelp4v2,none,8,conv2,");
    return at == std::string::npos ? std::string() : csv.substr(at, 60);
  };
  const std::string n4 = conv2_row("acc4", {});
  ASSERT_FALSE(n4.empty());
  EXPECT_NE(n4, conv2_row("acc8", {"--set", "design.elp.positions=8"}));
  r = run_cli({"rtl", "--design", "nope", "--out", dir + "/d"}, dir);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--design"), std::string::npos) << r.err;
}

// DRAM technologies: the energy per bit and (unless set) the bandwidth come from the cited
// figures; the DRAM entry is exactly bits moved x pJ per bit, and summary.json says where from.
TEST(RunCli, DramTechnologySetsEnergyPerBitAndBandwidth) {
  const std::string dir = make_temp_dir("dramtech");
  auto run = [&](std::vector<std::string> sets, const std::string& out) {
    std::vector<std::string> a = {"run",           "--workload", "tinycnn",
                                  "--timing-only", "--out",      dir + "/" + out};
    for (auto& x : sets) {
      a.push_back("--set");
      a.push_back(x);
    }
    const auto r = run_cli(a, dir);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return nlohmann::json::parse(slurp(dir + "/" + out + "/summary.json"));
  };
  const auto ddr3 = run({"dram.technology=ddr3"}, "a");
  const double bits =
      8.0 * (ddr3["dram_bytes_read"].get<double>() + ddr3["dram_bytes_written"].get<double>());
  EXPECT_NEAR(ddr3["energy_breakdown_pj"]["dram"].get<double>(), 70.0 * bits, 1e-6 * 70 * bits);
  EXPECT_EQ(ddr3["dram_technology"]["name"], "ddr3");
  EXPECT_FALSE(ddr3["dram_technology"]["energy_source_primary"].get<bool>());
  const auto cfg = nlohmann::json::parse(slurp(dir + "/a/config.json"));
  EXPECT_EQ(cfg["dram"]["technology"], "ddr3");
  const auto g6 = run({"dram.technology=gddr6", "dram.bytes_per_cycle=2"}, "b");
  EXPECT_TRUE(g6["dram_technology"]["energy_source_primary"].get<bool>());
  EXPECT_GT(g6["cycles"].get<double>(), ddr3["cycles"].get<double>());  // 2 B/cycle, as set
  const auto table = run({"dram.technology=table"}, "c");
  EXPECT_FALSE(table.contains("dram_technology"));
  const auto def = run({}, "e");  // the default: GDDR6, cited, at its own bandwidth
  EXPECT_EQ(def["dram_technology"]["name"], "gddr6");
  const double def_bits =
      8.0 * (def["dram_bytes_read"].get<double>() + def["dram_bytes_written"].get<double>());
  EXPECT_NEAR(def["energy_breakdown_pj"]["dram"].get<double>(), 7.5 * def_bits,
              1e-6 * 7.5 * def_bits);
  const auto r =
      run_cli({"run", "--timing-only", "--set", "dram.technology=ddr5", "--out", dir + "/d"}, dir);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("dram.technology"), std::string::npos) << r.err;
}

TEST(RunCli, TrainedWorkloadRunsBitExactOnAChosenImage) {
  const std::string dir = make_temp_dir("fmnist");
  const std::string net = std::string(CONLOCNN_SOURCE_DIR) + "/workloads/fmnist_cnn/network.json";
  const auto r = run_cli({"compare", "--workload", net, "--image", "5", "--out", dir + "/o"}, dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("bit-exact"), std::string::npos) << r.out;
  const auto s = nlohmann::json::parse(slurp(dir + "/o/elp5/summary.json"));
  EXPECT_NE(s["weight_source"].get<std::string>().find("trained weights"), std::string::npos);
  EXPECT_NE(s["weight_source"].get<std::string>().find("image 5"), std::string::npos);
  const auto bad = run_cli({"run", "--workload", net, "--image", "999", "--out", dir + "/b"}, dir);
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("test_images.npy"), std::string::npos) << bad.err;
  EXPECT_NE(bad.err.find("0..199"), std::string::npos) << bad.err;
}

TEST(RunCli, ImageOfAWorkloadWithoutImagesIsAnError) {
  const auto r = run_cli({"run", "--workload", "tinycnn", "--image", "3"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--image"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("ships no images"), std::string::npos) << r.err;
}

// ELP_BSD v2 against fixed point at equal code width (issue bars, docs/elp_bsd.md section 7):
// on the synthetic Laplace tensor the fixed Laplace-chosen sets (elp<b>v2) gain 1.5 dB weight
// SQNR at 4 and 5 bits and 1.0 dB at 6; on every trained conv layer of 2,000+ weights the
// per-layer sets (elp<b>v2l) gain 1.0 dB at 4 and 5 bits. No v2 code is invalid.
TEST(RunCli, ElpV2BeatsFixedPointAtEqualCodeWidth) {
  const std::string w = std::string(CONLOCNN_SOURCE_DIR) + "/workloads/fmnist_cnn/weights/";
  struct Tensor {
    std::vector<std::string> args;
    std::string suffix;  // which v2 family
    std::map<int, double> margin_db;
  };
  const std::vector<Tensor> tensors = {
      {{}, "v2", {{4, 1.5}, {5, 1.5}, {6, 1.0}}},
      {{"--weights", w + "conv2.weight.npy"}, "v2l", {{4, 1.0}, {5, 1.0}}},
      {{"--weights", w + "conv3.weight.npy"}, "v2l", {{4, 1.0}, {5, 1.0}}},
      {{"--weights", w + "conv4.weight.npy"}, "v2l", {{4, 1.0}, {5, 1.0}}},
  };
  for (const auto& t : tensors) {
    std::vector<std::string> args = {"formats", "--json"};
    args.insert(args.end(), t.args.begin(), t.args.end());
    const auto r = run_cli(args);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    std::map<int, double> fixed, v2;
    for (const auto& e : j) {
      const std::string name = e["name"];
      if (e["kind"] == "fixed") fixed[e["code_bits"]] = e["sqnr_db"];
      if (name.find("v2") != std::string::npos) {
        EXPECT_EQ(e["invalid_codes"], 0) << name;
      }
      if (name.size() > t.suffix.size() && name.substr(name.size() - t.suffix.size()) == t.suffix) {
        v2[e["code_bits"]] = e["sqnr_db"];
      }
    }
    for (const auto& [bits, margin] : t.margin_db) {
      ASSERT_TRUE(fixed.count(bits) && v2.count(bits)) << bits;
      EXPECT_GE(v2[bits], fixed[bits] + margin)
          << (t.args.empty() ? "synthetic" : t.args.back()) << " at " << bits << " bits";
    }
  }
}

namespace {

// A format above (true) or below the fixed-point curve of weight SQNR against MAC energy per
// operation (linear between neighbouring widths), by how many dB; nullopt outside the curve.
std::optional<double> margin_to_fixed_curve(const nlohmann::json& rows, const std::string& name) {
  std::vector<std::pair<double, double>> curve;
  double energy = 0, sqnr = 0;
  for (const auto& e : rows) {
    if (e["kind"] == "fixed") curve.emplace_back(e["mac_energy_pj"], e["sqnr_db"]);
    if (e["name"] == name) {
      energy = e["mac_energy_pj"];
      sqnr = e["sqnr_db"];
    }
  }
  std::sort(curve.begin(), curve.end());
  const auto hi = std::upper_bound(curve.begin(), curve.end(), std::make_pair(energy, 1e9));
  if (hi == curve.begin() || hi == curve.end()) return std::nullopt;
  const auto lo = std::prev(hi);
  return sqnr -
         (lo->second + (energy - lo->first) / (hi->first - lo->first) * (hi->second - lo->second));
}

}  // namespace

// The frontier as the default energy model measures it on the synthetic Laplace tensor, the only
// place `formats` prices MACs without operands (at the characterisation's reference operand
// statistics): every v2 preset of 4-6 bits lies above the fixed-point curve of weight SQNR
// against MAC energy (docs/elp_bsd.md, section 7). On the trained CNN's layers, priced on their
// simulated operands, most lie below it: FormatsOnAWorkloadLayerAreTheRunsFigures.
TEST(RunCli, ElpV2LiesAboveTheFixedPointCurveOnTheLaplaceTensor) {
  const auto r = run_cli({"formats", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto rows = nlohmann::json::parse(r.out);
  int checked = 0;
  for (const auto& e : rows) {
    const std::string name = e["name"];
    const int bits = e["code_bits"];
    EXPECT_EQ(e["mac_energy_model"], "characterised") << name;
    EXPECT_EQ(e["mac_operands"], "reference operands") << name;
    if (name.find("v2") == std::string::npos || bits < 4 || bits > 6) continue;
    const auto m = margin_to_fixed_curve(rows, name);
    ASSERT_TRUE(m) << name << " outside the fixed-point curve";
    EXPECT_GT(*m, 0.0) << name;
    ++checked;
  }
  EXPECT_EQ(checked, 6);
}

// One number per question: `formats --workload W --layer L` reports, for every format, the MAC
// energy per operation and the weight SQNR that a run of that design on W reports for L (each
// format's run compiled and priced the same way), so the two cannot disagree on which side of
// the fixed-point curve a format lies. The trained CNN's layers, every format formats surveys.
TEST(RunCli, FormatsOnAWorkloadLayerAreTheRunsFigures) {
  const std::string dir = make_temp_dir("formats-run");
  const std::string net = std::string(CONLOCNN_SOURCE_DIR) + "/workloads/fmnist_cnn/network.json";
  for (const char* layer : {"conv2", "conv3", "conv4"}) {
    const auto f = run_cli({"formats", "--json", "--workload", net, "--layer", layer}, dir);
    ASSERT_EQ(f.exit_code, 0) << f.err;
    const auto rows = nlohmann::json::parse(f.out);
    std::string designs;
    for (const auto& e : rows)
      designs += (designs.empty() ? "" : ",") + e["name"].get<std::string>();
    const std::string out = std::string("c-") + layer;
    const auto c = run_cli(
        {"compare", "--workload", net, "--timing-only", "--designs", designs, "--out", out}, dir);
    ASSERT_EQ(c.exit_code, 0) << c.err;
    for (const auto& e : rows) {
      const std::string name = e["name"];
      EXPECT_EQ(e["mac_operands"], "simulated operands") << name;
      const auto lj = nlohmann::json::parse(slurp(dir + "/" + out + "/" + name + "/layers.json"));
      for (const auto& row : lj) {
        if (row["layer"] != layer) continue;
        EXPECT_DOUBLE_EQ(e["mac_energy_pj"].get<double>(),
                         row["mac_pj"].get<double>() / row["macs"].get<double>())
            << layer << " " << name;
        EXPECT_DOUBLE_EQ(e["sqnr_db"].get<double>(), row["weight_sqnr_db"].get<double>())
            << layer << " " << name;
        EXPECT_EQ(e["mac_energy_model"], row["mac_energy_model"]) << layer << " " << name;
      }
    }
  }
}

// Output folders are complete-or-absent: a new result set replaces the old one as a whole, a run
// that fails leaves the old one untouched, and a folder of other files is never overwritten.
TEST(RunCli, ResultFoldersAreReplacedAsAWhole) {
  const std::string dir = make_temp_dir("whole");
  const std::string out = dir + "/o";
  ASSERT_EQ(
      run_cli({"compare", "--workload", "tinycnn", "--timing-only", "--out", out}, dir).exit_code,
      0);
  ASSERT_FALSE(slurp(out + "/comparison.csv").empty());
  ASSERT_EQ(run_cli({"run", "--workload", "tinycnn", "--timing-only", "--out", out}, dir).exit_code,
            0);
  EXPECT_TRUE(slurp(out + "/comparison.csv").empty()) << "stale comparison left behind";
  EXPECT_FALSE(std::filesystem::exists(out + "/elp5")) << "stale design folder left behind";
  const std::string summary = slurp(out + "/summary.json");
  ASSERT_FALSE(summary.empty());
  // A run that fails (a layer that cannot be tiled) keeps the previous results.
  write_file(dir + "/wide.json", R"({"input": [4, 300, 8], "layers": [{"name": "c1", "type":
                                "conv", "out_channels": 8, "kernel": 3, "pad": 1}]})");
  const auto bad = run_cli({"run", "--workload", "wide.json", "--timing-only", "--set",
                            "buffers.output_kib=1", "--out", out},
                           dir);
  EXPECT_EQ(bad.exit_code, 2) << bad.err;
  EXPECT_EQ(slurp(out + "/summary.json"), summary);
  for (const auto& e : std::filesystem::directory_iterator(dir))
    EXPECT_EQ(e.path().filename().string().find(".tmp-"), std::string::npos) << e.path();
  // A folder of someone else's files is refused.
  std::filesystem::create_directories(dir + "/mine");
  write_file(dir + "/mine/notes.txt", "keep me");
  const auto refused =
      run_cli({"run", "--workload", "tinycnn", "--timing-only", "--out", dir + "/mine"}, dir);
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_NE(refused.err.find("not a conlocnn-sim result"), std::string::npos) << refused.err;
  EXPECT_EQ(slurp(dir + "/mine/notes.txt"), "keep me");
}

// A trained workload's labels are checked when it loads: one integer class per image.
TEST(RunCli, MalformedLabelsAreNamed) {
  const std::string dir = make_temp_dir("labels");
  std::filesystem::copy(std::string(CONLOCNN_SOURCE_DIR) + "/workloads/fmnist_cnn", dir + "/w",
                        std::filesystem::copy_options::recursive);
  conloc::NpyArray bad;
  bad.shape = {200};
  bad.data.assign(200, 1.0f);
  bad.data[17] = 2.5f;
  conloc::write_npy(dir + "/w/test_labels.npy", bad);
  auto r = run_cli({"run", "--workload", "w/network.json", "--timing-only", "--out", "o"}, dir);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("test_labels.npy: [17]: not a class index"), std::string::npos) << r.err;
  bad.shape = {199};
  bad.data.assign(199, 0.0f);
  conloc::write_npy(dir + "/w/test_labels.npy", bad);
  r = run_cli({"run", "--workload", "w/network.json", "--timing-only", "--out", "o"}, dir);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("one label per image"), std::string::npos) << r.err;
}

// NaN or Inf in a trained network's files is named by file and by the index in the file's own
// (PyTorch) shape.
TEST(RunCli, NonFiniteWeightsAreNamedByFileAndIndex) {
  const std::string dir = make_temp_dir("nan");
  std::filesystem::copy(std::string(CONLOCNN_SOURCE_DIR) + "/workloads/fmnist_cnn", dir + "/w",
                        std::filesystem::copy_options::recursive);
  conloc::NpyArray w = conloc::read_npy(dir + "/w/weights/conv2.weight.npy");
  ASSERT_EQ(w.shape, (std::vector<std::int64_t>{32, 16, 3, 3}));
  w.data[((3 * 16 + 2) * 3 + 1) * 3 + 0] = std::nanf("");
  conloc::write_npy(dir + "/w/weights/conv2.weight.npy", w);
  auto r = run_cli({"run", "--workload", "w/network.json", "--timing-only", "--out", "o"}, dir);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("conv2.weight.npy: [3, 2, 1, 0]: value is NaN"), std::string::npos) << r.err;
  std::filesystem::copy_file(
      std::string(CONLOCNN_SOURCE_DIR) + "/workloads/fmnist_cnn/weights/conv2.weight.npy",
      dir + "/w/weights/conv2.weight.npy", std::filesystem::copy_options::overwrite_existing);
  conloc::NpyArray b = conloc::read_npy(dir + "/w/weights/conv1.bias.npy");
  b.data[5] = std::numeric_limits<float>::infinity();
  conloc::write_npy(dir + "/w/weights/conv1.bias.npy", b);
  r = run_cli({"run", "--workload", "w/network.json", "--out", "o"}, dir);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("conv1.bias.npy: [5]: value is infinite"), std::string::npos) << r.err;
}

// The smallest and the most layer-varied built-in networks run bit-exact end to end.
TEST(RunCli, LenetAndMobilenetV2RunBitExact) {
  for (const char* net : {"lenet5", "mobilenet_v2"}) {
    const std::string dir = make_temp_dir(net);
    const auto r = run_cli({"run", "--workload", net, "--out", "o"}, dir);
    EXPECT_EQ(r.exit_code, 0) << net << ": " << r.err;
    EXPECT_NE(r.out.find("bit-exact"), std::string::npos) << net << ": " << r.out;
  }
}

// The residual Fashion-MNIST CNN (six convolutions, two residual adds) runs bit-exact on one of
// its shipped images with both MAC designs.
TEST(RunCli, FmnistResnetRunsBitExact) {
  const std::string net =
      std::string(CONLOCNN_SOURCE_DIR) + "/workloads/fmnist_resnet/network.json";
  for (const char* design : {"elp5v2l", "fixed4"}) {
    const std::string dir = make_temp_dir("fr");
    const auto r =
        run_cli({"run", "--workload", net, "--design", design, "--image", "7", "--out", "o"}, dir);
    EXPECT_EQ(r.exit_code, 0) << design << ": " << r.err;
    EXPECT_NE(r.out.find("bit-exact"), std::string::npos) << design << ": " << r.out;
  }
}

// Calibrated on training images instead of the input: still bit-exact (the reference is then the
// input's integer inference); workloads without a dataset and timing-only runs refuse it.
TEST(RunCli, CalibrationOnDatasetImages) {
  const std::string net =
      std::string(CONLOCNN_SOURCE_DIR) + "/workloads/fmnist_resnet/network.json";
  const std::string dir = make_temp_dir("rcal");
  const auto r = run_cli({"compare", "--workload", net, "--designs", "elp4v2l,fixed4",
                          "--calibration", "100", "--image", "5", "--out", "o"},
                         dir);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const auto bad =
      run_cli({"run", "--workload", "tinycnn", "--calibration", "10", "--out", "b"}, dir);
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("names no dataset"), std::string::npos) << bad.err;
  const auto timing = run_cli(
      {"run", "--workload", net, "--calibration", "10", "--timing-only", "--out", "t"}, dir);
  EXPECT_EQ(timing.exit_code, 2);
  EXPECT_NE(timing.err.find("--calibration"), std::string::npos) << timing.err;
}

// SCALE-Sim topology and GEMM CSVs: independent layers (SCALE-Sim's output size, each its own
// operand), a trailing comma, spaces and blank lines tolerated; errors name the line and column.
TEST(RunCli, TopologyAndGemmCsvWorkloads) {
  const std::string dir = make_temp_dir("csv");
  write_file(dir + "/t.csv",
             "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num "
             "Filter, Strides,\nConv1, 230, 230, 7, 7, 3, 64, 2,\n\n  CB2a_2, 58, 58, 3, 3, 64, "
             "64, 1,\n");
  write_file(dir + "/g.csv", "Layer,M,N,K\ng1,128,256,512\n");
  auto r = run_cli({"run", "--workload", "t.csv", "--timing-only", "--out", "t"}, dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto s = nlohmann::json::parse(slurp(dir + "/t/summary.json"));
  // SCALE-Sim's output size ceil((H - F + S) / S): Conv1 ceil(225 / 2) = 113 (the last window
  // reaches one row and column past the 230), CB2a_2 56.
  // 113 x 113 x 64 x (7 x 7 x 3) + 56 x 56 x 64 x (3 x 3 x 64)
  EXPECT_EQ(s["macs"], 113 * 113 * 64 * 147 + 56 * 56 * 64 * 576);
  EXPECT_EQ(s["layers"], 2);
  r = run_cli({"run", "--workload", "g.csv", "--timing-only", "--out", "g"}, dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  s = nlohmann::json::parse(slurp(dir + "/g/summary.json"));
  EXPECT_EQ(s["macs"], 128 * 256 * 512);
  // Without --timing-only there is no data to compute with.
  r = run_cli({"run", "--workload", "g.csv", "--out", "g2"}, dir);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--timing-only"), std::string::npos) << r.err;
  write_file(dir + "/bad.csv", "Layer, M, N, K\ng1, 128, x, 512\n");
  r = run_cli({"run", "--workload", "bad.csv", "--timing-only", "--out", "b"}, dir);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("bad.csv: line 2: N: not a positive integer"), std::string::npos) << r.err;
  // A depthwise (DP) row is a layer per channel, SCALE-Sim's way: MACs of every channel's layer.
  write_file(dir + "/dp.csv",
             "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num "
             "Filter, Strides,\nConv_DP, 10, 10, 3, 3, 6, 1, 1,\n");
  r = run_cli({"run", "--workload", "dp.csv", "--timing-only", "--out", "dp"}, dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  s = nlohmann::json::parse(slurp(dir + "/dp/summary.json"));
  EXPECT_EQ(s["layers"], 6);
  EXPECT_EQ(s["macs"], 6 * 8 * 8 * 9);
  write_file(dir + "/dp2.csv",
             "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num "
             "Filter, Strides,\nConv_DP, 10, 10, 3, 3, 100000, 1, 1,\n");
  r = run_cli({"run", "--workload", "dp2.csv", "--timing-only", "--out", "dp2"}, dir);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("dp2.csv: line 2: Channels: too many channels for a DP layer"),
            std::string::npos)
      << r.err;
  // SCALE-Sim's own files: a GEMM header of any first column ("Layer Name"), a row's last field
  // dropped as SCALE-Sim drops it ("...,1,#dw"), names with spaces ('_' in ours); a row with a
  // second extra field is still refused.
  // Writes `content` as NAME.csv, runs it timing-only into NAME/ and gives its summary.
  auto run_topology = [&](const std::string& name, const std::string& content) {
    write_file(dir + "/" + name + ".csv", content);
    const auto res =
        run_cli({"run", "--workload", name + ".csv", "--timing-only", "--out", name}, dir);
    EXPECT_EQ(res.exit_code, 0) << res.err;
    return nlohmann::json::parse(slurp(dir + "/" + name + "/summary.json"), nullptr, false);
  };
  run_topology("sg", "Layer Name, M, N, K,\nTest 1, 128, 64, 256,\n");
  EXPECT_NE(slurp(dir + "/sg/layers.csv").find("\nTest_1,"), std::string::npos);
  const std::string head =
      "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, "
      "Strides,\n";
  EXPECT_EQ(run_topology("note", head + "Conv2_dw, 12, 12, 3, 3, 1, 1, 1,#dw\n")["macs"],
            10 * 10 * 9);
  // A byte-order mark and another spelling of the column names (DLRM's file in SCALE-Sim).
  EXPECT_EQ(
      run_topology("bom",
                   "\xEF\xBB\xBFLayer name,Ifmap height,ifmap width,filter height,filter "
                   "width,channels,num filters,strides,\nMLP_0,128,13,1,13,1,512,1,\n")["macs"],
      128 * 13 * 512);
  // A header SCALE-Sim skips although it misnames a column (DeepSpeech2's file).
  // ceil((20 - 5 + 2) / 2) = 9 by ceil((16 - 3 + 2) / 2) = 8 pixels, 8 filters of 5 x 3.
  EXPECT_EQ(run_topology("ds",
                         "Layer, IFMAP Width, IFMAP Width, Filter Height, Filter Width, Channels, "
                         "Num Filter, Strides,\nConv1,20,16,5,3,1,8,2,\n")["macs"],
            9 * 8 * 8 * 15);
  write_file(dir + "/two.csv", head + "Conv2_dw, 12, 12, 3, 3, 1, 1, 1, 7,#dw\n");
  r = run_cli({"run", "--workload", "two.csv", "--timing-only", "--out", "two"}, dir);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("two.csv: line 2: wrong number of fields"), std::string::npos) << r.err;
  r = run_cli({"run", "--workload", "model.tflite", "--out", "b"}, dir);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find(".json (network), .csv (SCALE-Sim topology or GEMM), .onnx (model)"),
            std::string::npos)
      << r.err;
  r = run_cli({"run", "--workload", "g.csv", "--input-shape", "1,3,8,8", "--out", "b"}, dir);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("only an ONNX model takes an input shape"), std::string::npos) << r.err;
}

// Which MAC model costs a run's layers: the default table's gate-level characterisation on a
// weight-stationary run of a characterised design, in both modes; the structural model with the
// table that has none, on an output-stationary array, or for a circuit the characterisation does
// not have (another accumulator width). The characterisation changes the MAC energy and nothing
// else. The operands are the simulated data's wherever the workload has data, at reference
// statistics where it has none (a layer list).
TEST(RunCli, CharacterisedMacEnergyWhereTheCircuitIsCharacterised) {
  const std::string dir = make_temp_dir("run-characterised");
  write_file(dir + "/g.csv", "Layer, M, N, K,\ng1, 64, 32, 144,\n");
  auto run = [&](const std::string& name, std::vector<std::string> extra,
                 const std::string& workload = "tinycnn") {
    std::vector<std::string> a = {"run", "--workload", workload, "--out", dir + "/" + name};
    a.insert(a.end(), extra.begin(), extra.end());
    const auto r = run_cli(a, dir);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return std::make_pair(nlohmann::json::parse(slurp(dir + "/" + name + "/summary.json")), r.out);
  };
  const auto [c, out] = run("c", {});
  const auto [s, out_s] = run("s", {"--set", "energy.table=horowitz45-cacti-toggles-structural"});
  const auto [t, out_t] = run("t", {"--timing-only"});
  const auto [o, out_o] = run("o", {"--set", "array.dataflow=os"});
  const auto [w, out_w] = run("w", {"--set", "design.accumulator_bits=24"});
  const auto [g, out_g] = run("g", {"--timing-only"}, "g.csv");
  const int pe_layers = c["mac_layers"].get<int>();
  ASSERT_GT(pe_layers, 0);
  for (const auto* j : {&c, &t}) {
    EXPECT_EQ((*j)["mac_energy_model_layers"]["characterised"], pe_layers);
    EXPECT_EQ((*j)["mac_layers_characterised"], pe_layers);
  }
  // tinycnn's fc has one output position: no consecutive operations to sample.
  EXPECT_EQ(c["mac_layers_simulated_operands"].get<int>(), pe_layers - 1);
  EXPECT_NE(out.find("characterised (mac-characterisation-45nm) in " + std::to_string(pe_layers) +
                     " of " + std::to_string(pe_layers)),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("operands simulated in " + std::to_string(pe_layers - 1) +
                     ", reference statistics in 1"),
            std::string::npos)
      << out;
  for (const auto* j : {&s, &o, &w}) {
    EXPECT_EQ((*j)["mac_energy_model_layers"]["characterised"], 0);
    EXPECT_EQ((*j)["mac_energy_model_layers"]["structural"], pe_layers);
  }
  EXPECT_NE(out_s.find("characterised (none in this table) in 0 of " + std::to_string(pe_layers) +
                       " PE-array layers"),
            std::string::npos)
      << out_s;
  // The layer list: characterised at reference operand statistics.
  EXPECT_EQ(g["mac_layers_characterised"], 1);
  EXPECT_EQ(g["mac_layers_simulated_operands"], 0);
  const auto gl = nlohmann::json::parse(slurp(dir + "/g/layers.json"));
  EXPECT_EQ(gl[0]["mac_energy_model"], "characterised");
  EXPECT_EQ(gl[0]["mac_operands"], "reference operands");
  EXPECT_NE(c["mac_pj"].get<double>(), s["mac_pj"].get<double>());
  for (const char* k : {"pe_registers_pj", "weight_buffer_pj", "activation_sram_pj",
                        "output_buffer_pj", "dram_pj", "compensation_adder_pj"})
    EXPECT_DOUBLE_EQ(c[k].get<double>(), s[k].get<double>()) << k;
  EXPECT_EQ(c["energy_table"]["mac_characterisation"]["name"], "mac-characterisation-45nm");
}

// A sweep point is the standalone run of its configuration: the same energy (every component),
// cycles and traffic, in both modes, whichever parameters are swept (array rows change which
// partial sums a PE sees, so the MAC energy too; the seed changes the synthetic weights; the
// format and compensation the compiled network) -- and a design whose run another point
// simulated (the fixed-point baseline does not read design.elp.format) shows that run.
TEST(RunCli, SweepPointsEqualStandaloneRuns) {
  const std::string dir = make_temp_dir("sweep-run");
  const nlohmann::json axes = {{"array.rows", {8, 16}},
                               {"sim.seed", {1, 2}},
                               {"design.elp.format", {"elp4", "elp5v2"}},
                               {"design.compensation", {"none", "output_constant"}}};
  for (const bool functional : {false, true}) {
    const std::string mode = functional ? "f" : "t";
    write_file(dir + "/" + mode + ".json", nlohmann::json{{"workloads", {"tinycnn"}},
                                                          {"designs", {"elp", "fixed"}},
                                                          {"functional", functional},
                                                          {"axes", axes}}
                                               .dump());
    const auto s = run_cli({"sweep", mode + ".json", "--out", mode + "-sweep", "-j", "2"}, dir);
    ASSERT_EQ(s.exit_code, 0) << s.out << s.err;
    // 16 points x 2 designs, of which the fixed-point design runs once per (rows, seed,
    // compensation): 16 + 8 runs, 8 rows the same run as another point's.
    EXPECT_NE(s.out.find("(24 runs, 8 the same run as another point's)"), std::string::npos)
        << s.out;
    const auto table = nlohmann::json::parse(slurp(dir + "/" + mode + "-sweep/sweep.json"));
    int same = 0;
    for (const auto& row : table["rows"]) {
      same += !row["same_run_as"].is_null();
      const std::string design = row["design_spec"];
      std::vector<std::string> a = {"run", "--workload", "tinycnn", "--set",
                                    "design.mac=" + design};
      for (auto it = axes.begin(); it != axes.end(); ++it) {
        const auto& v = row[it.key()];
        a.insert(a.end(),
                 {"--set", it.key() + "=" + (v.is_string() ? v.get<std::string>() : v.dump())});
      }
      if (!functional) a.push_back("--timing-only");
      const std::string out = mode + "-" + row["point"].get<std::string>() + "-" + design;
      a.insert(a.end(), {"--out", out});
      ASSERT_EQ(run_cli(a, dir).exit_code, 0);
      const auto run = nlohmann::json::parse(slurp(dir + "/" + out + "/summary.json"));
      const std::string what = mode + " " + row["point"].get<std::string>() + " " + design;
      EXPECT_EQ(row["status"], "ok") << what;
      for (const char* k : {"cycles", "stall_cycles", "dram_bytes_read", "dram_bytes_written",
                            "macs", "mac_layers_simulated_operands", "bit_exact", "energy_pj"})
        EXPECT_EQ(row[k], run[k]) << what << ": " << k;
      for (auto it = run["energy_breakdown_pj"].begin(); it != run["energy_breakdown_pj"].end();
           ++it)
        EXPECT_EQ(row[it.key() + "_pj"], *it) << what << ": " << it.key();
    }
    EXPECT_EQ(same, 8);
  }
}

// formats' bad input: a tensor and a workload at once, a layer without a workload, a layer the
// workload does not have.
TEST(RunCli, FormatsRefusesConflictingOrUnknownInputs) {
  const std::string net = std::string(CONLOCNN_SOURCE_DIR) + "/workloads/fmnist_cnn/network.json";
  auto r = run_cli({"formats", "--workload", net, "--weights", "x.npy"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("either --weights or --workload"), std::string::npos) << r.err;
  r = run_cli({"formats", "--layer", "conv2"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--layer: a layer without a workload"), std::string::npos) << r.err;
  r = run_cli({"formats", "--workload", net, "--layer", "conv9"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--layer: no conv or fc layer of that name; got conv9"), std::string::npos)
      << r.err;
}

// compare simulates its designs in one kernel, one after another in simulated time: each gets
// exactly the cycles, timeline and energy of a run of it alone (side by side, the interleaving
// of their engines' quantum syncs once moved a design's stalls by 86 cycles on ResNet-18).
TEST(RunCli, CompareEqualsStandaloneRuns) {
  const std::string dir = make_temp_dir("compare-run");
  const std::vector<std::string> designs = {"elp5", "fixed8"};
  const auto c = run_cli({"compare", "--workload", "resnet18", "--timing-only", "--designs",
                          "elp5,fixed8", "--out", "c"},
                         dir);
  ASSERT_EQ(c.exit_code, 0) << c.err;
  for (const auto& d : designs) {
    ASSERT_EQ(run_cli({"run", "--workload", "resnet18", "--timing-only", "--design", d, "--out",
                       "r-" + d},
                      dir)
                  .exit_code,
              0);
    const auto a = nlohmann::json::parse(slurp(dir + "/r-" + d + "/summary.json"));
    const auto b = nlohmann::json::parse(slurp(dir + "/c/" + d + "/summary.json"));
    for (const char* k : {"cycles", "stall_cycles", "energy_pj", "dram_bytes_read"})
      EXPECT_EQ(a[k], b[k]) << d << " " << k;
    EXPECT_EQ(slurp(dir + "/r-" + d + "/layers.csv"), slurp(dir + "/c/" + d + "/layers.csv")) << d;
    EXPECT_EQ(slurp(dir + "/r-" + d + "/timeline.json"), slurp(dir + "/c/" + d + "/timeline.json"))
        << d;
  }
}

// summary.json's compulsory DRAM traffic, against a hand count: a 3x3 conv of 3 -> 4 channels
// (108 weights) and an fc of 4x4x4 -> 10 (640 weights) at 5-bit codes (elp5) is 748 x 5 / 8 =
// 467.5 -> 468 bytes; the 8x8x3 input image 192 bytes and the 10 results 10 bytes at 8 bits,
// twice for a batch of 2 (the weights once). A run never moves less than that.
TEST(RunCli, CompulsoryDramTrafficIsTheLowerBound) {
  const std::string dir = make_temp_dir("compulsory");
  write_file(dir + "/net.json", R"({"name": "c", "input": [8, 8, 3], "layers": [
    {"name": "conv", "type": "conv", "out_channels": 4, "kernel": 3, "pad": 1, "act": "relu"},
    {"name": "pool", "type": "maxpool", "kernel": 2, "stride": 2},
    {"name": "fc", "type": "fc", "out_channels": 10}]})");
  for (int batch : {1, 2}) {
    const std::string out = "b" + std::to_string(batch);
    const auto r = run_cli({"run", "--workload", dir + "/net.json", "--design", "elp5", "--set",
                            "workload.batch=" + std::to_string(batch), "--out", out},
                           dir);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto s = nlohmann::json::parse(slurp(dir + "/" + out + "/summary.json"));
    EXPECT_EQ(s["dram_compulsory_weight_bytes"], 468);
    EXPECT_EQ(s["dram_compulsory_input_bytes"], 192 * batch);
    EXPECT_EQ(s["dram_compulsory_output_bytes"], 10 * batch);
    EXPECT_EQ(s["dram_compulsory_bytes"], 468 + 202 * batch);
    EXPECT_GE(s["dram_vs_compulsory"].get<double>(), 1.0);
  }
  for (const char* net : {"resnet18", "mobilenet_v2", "lenet5"}) {
    const std::string out = std::string("zoo-") + net;
    const auto r = run_cli({"run", "--workload", net, "--timing-only", "--out", out}, dir);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto s = nlohmann::json::parse(slurp(dir + "/" + out + "/summary.json"));
    EXPECT_GE(s["dram_bytes_read"].get<double>(),
              s["dram_compulsory_weight_bytes"].get<double>() +
                  s["dram_compulsory_input_bytes"].get<double>())
        << net;
    EXPECT_GE(s["dram_bytes_written"].get<double>(),
              s["dram_compulsory_output_bytes"].get<double>())
        << net;
  }
}

// Every registry parameter, one at a time: a sweep point that changes it (a zipped group in which
// point i moves parameter i off its base value and every other point keeps it) equals a standalone
// `run --set` of that configuration, in energy (every component), cycles and traffic; a value
// that leaves a layer untileable is infeasible on both sides. Four bases reach the parameters
// only some formats read (the v2 and custom ELP_BSD fields, a fixed-point design's per-layer
// formats). Timing-only: the functional sweep property is SweepPointsEqualStandaloneRuns.
TEST(RunCli, SweepPointEqualsRunForEveryParameter) {
  const std::string dir = make_temp_dir("sweep-every");
  std::set<std::string> covered;
  int sweeps = 0;
  auto text = [](const nlohmann::json& v) {
    return v.is_string() ? v.get<std::string>() : v.dump();
  };
  // Runs a sweep of `spec` (its points in order) and, for each point i < sets.size(), a
  // standalone run with the --sets of sets[i]; `moved[i]` names what point i tests.
  auto check = [&](const nlohmann::json& spec, const std::vector<std::vector<std::string>>& sets,
                   const std::vector<std::string>& moved) {
    const std::string name = "s" + std::to_string(sweeps++);
    write_file(dir + "/" + name + ".json", spec.dump());
    const auto s = run_cli({"sweep", name + ".json", "--out", name, "-j", "2"}, dir);
    ASSERT_TRUE(std::filesystem::exists(dir + "/" + name + "/sweep.json")) << s.out << s.err;
    const auto table = nlohmann::json::parse(slurp(dir + "/" + name + "/sweep.json"));
    ASSERT_GE(table["rows"].size(), sets.size()) << s.out << s.err;
    for (std::size_t i = 0; i < sets.size(); ++i) {
      const auto& row = table["rows"][i];
      const std::string what = moved[i] + " (" + name + ")";
      std::vector<std::string> a = {"run", "--workload", "tinycnn", "--timing-only"};
      for (const auto& kv : sets[i])
        a.insert(a.end(), {"--set", kv});
      const std::string out = name + "-" + std::to_string(i);
      a.insert(a.end(), {"--out", out});
      const auto r = run_cli(a, dir);
      if (row["status"] != "ok" || row["feasible"] != true) {
        EXPECT_NE(r.exit_code, 0) << what << ": the sweep says " << row["status"]
                                  << ", the run succeeded";
        continue;
      }
      ASSERT_EQ(r.exit_code, 0) << what << "\n" << r.err;
      covered.insert(moved[i].substr(0, moved[i].find(' ')));
      const auto run = nlohmann::json::parse(slurp(dir + "/" + out + "/summary.json"));
      for (const char* k :
           {"cycles", "stall_cycles", "dram_bytes_read", "dram_bytes_written", "macs", "energy_pj"})
        EXPECT_EQ(row[k], run[k]) << what << ": " << k << " sweep " << row[k] << ", run " << run[k];
      // The run's config.json, given back as the configuration, reproduces the run: the same
      // resolved configuration (hash) and the same figures.
      const auto again = run_cli({"run", "--workload", "tinycnn", "--timing-only", "--config",
                                  out + "/config.json", "--out", out + "-again"},
                                 dir);
      ASSERT_EQ(again.exit_code, 0) << what << ": its config.json is refused\n" << again.err;
      const auto rerun = nlohmann::json::parse(slurp(dir + "/" + out + "-again/summary.json"));
      for (const char* k : {"config_hash", "design", "cycles", "stall_cycles", "dram_bytes_read",
                            "dram_bytes_written", "energy_pj"})
        EXPECT_EQ(rerun[k], run[k])
            << what << ": " << k << " from its config.json " << rerun[k] << ", the run " << run[k];
      for (auto it = run["energy_breakdown_pj"].begin(); it != run["energy_breakdown_pj"].end();
           ++it)
        EXPECT_EQ(row[it.key() + "_pj"], *it) << what << ": " << it.key();
    }
  };
  // The fixed-point base moves only what the ELP_BSD ones cannot (design.layer_formats).
  const std::vector<std::pair<std::string, std::vector<std::string>>> bases = {
      {"elp", {}},
      {"elp", {"design.elp.format=elp4v2"}},
      {"elp", {"design.elp.format=custom"}},
      {"fixed", {}}};
  for (const auto& [design, base] : bases) {
    const std::vector<std::string> mac = {"design.mac=" + design};
    std::vector<std::string> base_sets = mac;
    base_sets.insert(base_sets.end(), base.begin(), base.end());
    const SimConfig cfg = load_sim_config(std::nullopt, base_sets);
    nlohmann::json set = nlohmann::json::object();
    for (const auto& kv : base)
      set[kv.substr(0, kv.find('='))] = kv.substr(kv.find('=') + 1);
    const nlohmann::json spec = {{"workloads", {"tinycnn"}}, {"designs", {design}}, {"set", set}};
    // The parameters to move and the value each moves to (the first the configuration accepts);
    // those whose base value cannot be given explicitly are swept alone.
    std::vector<std::pair<std::string, nlohmann::json>> zipped, alone;
    for (const ParamSpec& p : sim_params().specs()) {
      if (p.path == "design.mac") continue;  // the sweep's design, not an axis
      if (design == "fixed" && covered.count(p.path)) continue;
      const nlohmann::json& now = cfg.params.at(p.path);
      for (const nlohmann::json& v : alternatives(p, now)) {
        try {
          (void)cfg.with({{p.path, v, "test"}});
        } catch (const UserError&) {
          continue;
        }
        bool settable = true;
        try {
          (void)cfg.with({{p.path, now, "test"}});
        } catch (const UserError&) {
          settable = false;
        }
        (settable ? zipped : alone).emplace_back(p.path, v);
        break;
      }
    }
    // A move that the other keys, given explicitly, conflict with (design.elp.format away from
    // a v2 preset while design.elp.term_price is given) is swept alone too.
    for (std::size_t i = 0; i < zipped.size();) {
      std::vector<ParamAssignment> point;
      for (std::size_t j = 0; j < zipped.size(); ++j)
        point.push_back(
            {zipped[j].first, j == i ? zipped[j].second : cfg.params.at(zipped[j].first), "test"});
      try {
        (void)cfg.with(point);
        ++i;
      } catch (const UserError&) {
        alone.push_back(zipped[i]);
        zipped.erase(zipped.begin() + static_cast<std::ptrdiff_t>(i));
        i = 0;
      }
    }
    // One sweep: a zipped group in which point i moves zipped[i] and keeps every other key.
    nlohmann::json zip = nlohmann::json::object();
    for (std::size_t i = 0; i < zipped.size(); ++i) {
      nlohmann::json values = nlohmann::json::array();
      for (std::size_t j = 0; j <= zipped.size(); ++j)
        values.push_back(j == i ? zipped[i].second : cfg.params.at(zipped[i].first));
      zip[zipped[i].first] = values;
    }
    std::vector<std::vector<std::string>> sets;
    std::vector<std::string> moved;
    for (std::size_t i = 0; i < zipped.size(); ++i) {
      // The point's whole configuration, every zipped key as the sweep sets it.
      std::vector<std::string> kv = base_sets;
      for (auto it = zip.begin(); it != zip.end(); ++it)
        kv.push_back(it.key() + "=" + text(it.value()[i]));
      sets.push_back(kv);
      moved.push_back(zipped[i].first + " = " + zipped[i].second.dump());
    }
    nlohmann::json zspec = spec;
    zspec["zip"] = {zip};
    check(zspec, sets, moved);
    for (const auto& [key, value] : alone) {
      nlohmann::json aspec = spec;
      aspec["axes"] = {{key, {value}}};
      std::vector<std::string> kv = base_sets;
      kv.push_back(key + "=" + text(value));
      check(aspec, {kv}, {key + " = " + value.dump()});
    }
  }
  // Every parameter but the design itself was moved and run on some base.
  for (const ParamSpec& p : sim_params().specs()) {
    if (p.path != "design.mac") {
      EXPECT_TRUE(covered.count(p.path)) << p.path << " never compared";
    }
  }
}

// The mapper's cycle estimate against the simulation of the chosen plans, at the bounds
// docs/mapping.md states per workload (its table is read here): every conv / fc layer's error
// within the worst layer's, the whole network's within the network's (each rounded up to the next
// tenth of a percent, as printed). A mapper that forgets the double-buffer waits of draining a
// tile group, or of loading a tile, lands outside.
TEST(RunCli, MapperCycleEstimateWithinTheDocumentedBounds) {
  const std::string doc = slurp(std::string(CONLOCNN_SOURCE_DIR) + "/docs/mapping.md");
  const std::map<std::string, std::string> workloads = {
      {"ResNet-18", "resnet18"}, {"MobileNet-V2", "mobilenet_v2"}, {"tinycnn", "tinycnn"}};
  const std::string dir = make_temp_dir("mapper-cycles");
  int checked = 0;
  for (const auto& [title, name] : workloads) {
    // | ResNet-18 | 21 | -0.9 % | -7.7 % (layer) | -0.2 % |
    const std::regex row(
        "\\n\\| " + title +
        " \\| [0-9]+ \\| [-+0-9.]+ % \\| ([-+0-9.]+) % \\([^)]*\\) \\| ([-+0-9.]+) % \\|");
    std::smatch m;
    ASSERT_TRUE(std::regex_search(doc, m, row)) << title << " not in docs/mapping.md's table";
    const double worst = std::abs(std::stod(m[1])) + 0.05,
                 network = std::abs(std::stod(m[2])) + 0.05;
    const auto r = run_cli({"run", "--workload", name, "--timing-only", "--out", name}, dir);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto layers = nlohmann::json::parse(slurp(dir + "/" + name + "/layers.json"));
    double sim = 0, est = 0;
    for (const auto& l : layers) {
      if (!l.contains("tiling") || !l["tiling"].contains("mapper_cycles")) continue;
      const double c = l["cycles"].get<double>(), e = l["tiling"]["mapper_cycles"].get<double>();
      sim += c;
      est += e;
      EXPECT_LE(std::abs(100 * (e - c) / c), worst)
          << name << " " << l["layer"] << ": estimate " << e << ", simulated " << c;
      ++checked;
    }
    EXPECT_LE(std::abs(100 * (est - sim) / sim), network)
        << name << ": estimate " << est << ", simulated " << sim;
  }
  EXPECT_GT(checked, 70);
}

// Output-constant compensation (docs/compensation.md) folds into each output channel's bias the
// mean error its weight rounding causes on the calibration data; subtracting a distribution's
// mean never raises its mean square, so on the calibration image (in sample) every conv / fc
// layer's output SQNR with the constant is at least the uncompensated one (up to the constant's
// integer rounding), and above it on average. A constant of the wrong sign doubles the error.
TEST(RunCli, OutputConstantCompensationRemovesTheMeanErrorInSample) {
  const std::string dir = make_temp_dir("comp-sign");
  int layers = 0;
  double gain = 0;
  for (const char* net : {"fmnist_cnn", "fmnist_resnet"}) {
    const std::string out = std::string("r-") + net;
    const auto r =
        run_cli({"run", "--workload",
                 std::string(CONLOCNN_SOURCE_DIR) + "/workloads/" + net + "/network.json", "--set",
                 "design.compensation=output_constant", "--set", "design.elp.format=elp4",
                 "--timing-only", "--out", out},
                dir);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    for (const auto& l : nlohmann::json::parse(slurp(dir + "/" + out + "/layers.json"))) {
      if (l["type"] != "conv" && l["type"] != "fc") continue;
      const double with = l["output_sqnr_in_sample_db"],
                   without = l["output_sqnr_uncompensated_in_sample_db"];
      EXPECT_GE(with, without - 0.05) << net << " " << l["layer"];
      gain += with - without;
      ++layers;
    }
  }
  ASSERT_GT(layers, 10);
  EXPECT_GT(gain / layers, 0.5) << "mean in-sample gain in dB";
}

// mapping.fusion = fused-stage (docs/mapping.md, "Fusion"): a residual add runs in the output
// stage of the conv before it where the mapper finds the pair cheaper so. Functional runs stay
// bit-exact in both dataflows, with a batch and buffers small enough to cut every layer into many
// tiles (an 8 KiB output buffer: at 4 KiB the mapper fuses nothing on this network, the operands
// would shrink the psum tiles too far); on ResNet-18 every add and the max pooling are fused, the
// DRAM traffic of each fused add is what the layer-by-layer run moved less the producer's tensor
// written and read back (where the mapper kept the producer's mapping), the vector unit's energy
// is unchanged (the arithmetic moved, it did not vanish), the MACs grow by conv1's recomputed
// rows alone, and the whole network moves fewer bytes.
TEST(RunCli, FusedOutputStageKeepsResidualTensorsOnChip) {
  const std::string dir = make_temp_dir("fused");
  const std::string net =
      std::string(CONLOCNN_SOURCE_DIR) + "/workloads/fmnist_resnet/network.json";
  for (const char* df : {"ws", "os"}) {
    const std::string out = std::string("f-") + df;
    const auto r =
        run_cli({"run", "--workload", net, "--set", "mapping.fusion=fused-stage", "--set",
                 std::string("array.dataflow=") + df, "--set", "buffers.output_kib=8", "--set",
                 "buffers.activation_kib=4", "--set", "workload.batch=2", "--out", out},
                dir);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto s = nlohmann::json::parse(slurp(dir + "/" + out + "/summary.json"));
    EXPECT_EQ(s["bit_exact"], true) << df;
    int fused = 0;
    for (const auto& l : nlohmann::json::parse(slurp(dir + "/" + out + "/layers.json")))
      fused += l["fusion"].get<std::string>().rfind("in ", 0) == 0;
    EXPECT_GE(fused, 2) << df << ": no add was fused";
  }
  std::map<std::string, std::vector<nlohmann::json>> rows;
  std::map<std::string, nlohmann::json> total;
  for (const char* mode : {"none", "fused-stage"}) {
    const auto r = run_cli({"run", "--workload", "resnet18", "--timing-only", "--set",
                            std::string("mapping.fusion=") + mode, "--out", mode},
                           dir);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    total[mode] = nlohmann::json::parse(slurp(dir + "/" + mode + "/summary.json"));
    for (const auto& l : nlohmann::json::parse(slurp(dir + "/" + mode + "/layers.json")))
      rows[mode].push_back(l);
  }
  const auto& none = rows["none"];
  const auto& fu = rows["fused-stage"];
  ASSERT_EQ(none.size(), fu.size());
  int exact = 0, adds = 0;
  for (std::size_t i = 0; i + 1 < fu.size(); ++i) {
    if (none[i]["fusion"] != "") ADD_FAILURE() << "fusion none fused " << none[i]["layer"];
    if (fu[i + 1]["type"] != "add") continue;
    ++adds;
    ASSERT_EQ(fu[i]["fusion"], "applies " + fu[i + 1]["layer"].get<std::string>());
    ASSERT_EQ(fu[i + 1]["fusion"], "in " + fu[i]["layer"].get<std::string>());
    for (const char* k : {"cycles", "dram_inputs_read_bytes", "dram_outputs_written_bytes",
                          "energy_pj", "vector_unit_pj"})
      EXPECT_EQ(fu[i + 1][k], 0) << fu[i + 1]["layer"] << " " << k;
    // The producer writes the add's output instead of its own, and reads the add's other input
    // instead of the add reading both (in DRAM: fused-stage includes residency, which moves some
    // of these tensors on chip, checked apart).
    auto on_chip = [](const nlohmann::json& row) {
      return row["inputs_from"].get<std::string>().find("on-chip") != std::string::npos ||
             row["output_to"] == "on-chip";
    };
    if (on_chip(fu[i]) || on_chip(fu[i + 1])) continue;
    EXPECT_EQ(fu[i]["dram_outputs_written_bytes"], none[i + 1]["dram_outputs_written_bytes"]);
    if (fu[i]["mapping"] != none[i]["mapping"]) continue;
    ++exact;
    EXPECT_EQ(fu[i]["dram_inputs_read_bytes"].get<std::int64_t>(),
              none[i]["dram_inputs_read_bytes"].get<std::int64_t>() +
                  none[i + 1]["dram_inputs_read_bytes"].get<std::int64_t>() -
                  none[i]["dram_outputs_written_bytes"].get<std::int64_t>())
        << fu[i]["layer"];
    EXPECT_EQ(fu[i]["dram_weights_read_bytes"], none[i]["dram_weights_read_bytes"]);
  }
  EXPECT_EQ(adds, 8);
  EXPECT_GE(exact, 3);  // pairs in DRAM with the same mapping both ways
  // conv1's output stage max-pools (3x3, stride 2, padding 1): it writes the pooled tensor, and
  // each band of R pooled rows computes the 2R + 1 conv rows their windows read (fewer at the
  // top, where the window reaches into the padding), so the rows two bands share cost their
  // MACs twice.
  ASSERT_EQ(fu[0]["fusion"], "applies maxpool");
  ASSERT_EQ(fu[1]["fusion"], "in conv1");
  EXPECT_EQ(fu[0]["dram_outputs_written_bytes"], none[1]["dram_outputs_written_bytes"]);
  const std::string mapping = fu[0]["mapping"];
  const int pooled_rows = std::stoi(mapping.substr(mapping.find("rows=") + 5));
  int computed = 0;
  for (int y0 = 0; y0 < 56; y0 += pooled_rows) {
    const int last = std::min(y0 + pooled_rows, 56) - 1;
    computed += std::min(112, 2 * last - 1 + 3) - std::max(0, 2 * y0 - 1);
  }
  EXPECT_GT(computed, 112);
  EXPECT_NEAR(fu[0]["mac_pj"].get<double>(), none[0]["mac_pj"].get<double>() * computed / 112.0,
              1e-9 * fu[0]["mac_pj"].get<double>());
  // `compare` takes the schedule as a design setting: the two side by side give the runs' figures.
  const auto c = run_cli({"compare", "--workload", "resnet18", "--timing-only", "--designs",
                          "elp@mapping.fusion=fused-stage,elp", "--out", "cmp"},
                         dir);
  ASSERT_EQ(c.exit_code, 0) << c.err;
  const auto cmp = nlohmann::json::parse(slurp(dir + "/cmp/comparison.json"))["designs"];
  EXPECT_EQ(cmp["elp5@mapping.fusion=fused-stage"]["energy_pj"], total["fused-stage"]["energy_pj"]);
  EXPECT_EQ(cmp["elp5"]["energy_pj"], total["none"]["energy_pj"]);
  EXPECT_EQ(total["fused-stage"]["fused_layers"], 9);
  EXPECT_EQ(total["fused-stage"]["fusable_layers"], 9);
  EXPECT_EQ(total["none"]["fusable_layers"], 0);
  // The timeline's layer track shows each fusion group as one slice.
  std::set<std::string> slices;
  const auto timeline = nlohmann::json::parse(slurp(dir + "/fused-stage/timeline.json"));
  for (const auto& e : timeline["traceEvents"])
    if (e.value("cat", "") == "layer") slices.insert(e["name"].get<std::string>());
  EXPECT_TRUE(slices.count("layer1.0.conv2 + layer1.0.add"));
  EXPECT_FALSE(slices.count("layer1.0.add"));
  const auto& a = total["none"]["energy_breakdown_pj"];
  const auto& b = total["fused-stage"]["energy_breakdown_pj"];
  EXPECT_NEAR(b["vector_unit"].get<double>(), a["vector_unit"].get<double>(),
              1e-9 * a["vector_unit"].get<double>());
  EXPECT_NEAR(b["mac"].get<double>() - a["mac"].get<double>(),
              fu[0]["mac_pj"].get<double>() - none[0]["mac_pj"].get<double>(),
              1e-9 * a["mac"].get<double>());
  EXPECT_LT(total["fused-stage"]["dram_bytes_read"].get<double>() +
                total["fused-stage"]["dram_bytes_written"].get<double>(),
            total["none"]["dram_bytes_read"].get<double>() +
                total["none"]["dram_bytes_written"].get<double>());
}

// The mapper keeps a tensor on chip, fuses a pair or forms a depth-first group only where it
// costs less by mapping.objective, so on the zoo networks no fusion level moves more DRAM bytes
// than layer by layer (docs/mapping.md, "Residency", "Fusion", "Depth-first"): one sweep over
// mapping.fusion and two activation SRAM sizes.
TEST(RunCli, FusionNeverMovesMoreDramThanLayerByLayer) {
  const std::string dir = make_temp_dir("fusion-zoo");
  // The default activation SRAM (few tensors fit) and a large one (most do).
  write_file(dir + "/s.json",
             R"({"workloads": ["mobilenet_v2", "resnet18", "resnet50", "tinycnn"],
                 "designs": ["elp"],
                 "axes": {"mapping.fusion": ["none", "residency", "fused-stage", "depth-first"],
                          "buffers.activation_kib": [64, 1024]}})");
  const auto r = run_cli({"sweep", "s.json", "--out", "o", "-j", "2"}, dir);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const auto table = nlohmann::json::parse(slurp(dir + "/o/sweep.json"));
  // (workload design activation KiB) -> mode -> bytes, resident tensors
  std::map<std::string, std::map<std::string, double>> dram, resident, groups;
  for (const auto& row : table["rows"]) {
    ASSERT_EQ(row["status"], "ok") << row;
    const std::string what = row["workload"].get<std::string>() + " " +
                             row["design"].get<std::string>() + " " +
                             row["buffers.activation_kib"].dump();
    const std::string mode = row["mapping.fusion"].get<std::string>();
    dram[what][mode] = row["dram_bytes_per_inference"].get<double>();
    resident[what][mode] = row["resident_tensors"].get<double>();
    groups[what][mode] = row["depth_first_groups"].get<double>();
    // A group has at least one layer; groups exist at depth-first only.
    EXPECT_GE(row["depth_first_layers"].get<double>(), groups[what][mode]) << what << " " << mode;
    if (mode != "depth-first") {
      EXPECT_EQ(groups[what][mode], 0) << what << " " << mode;
      // And no reasons for groups not formed.
      for (const char* k : {"depth_first_cheaper_alone", "depth_first_no_band_fits",
                            "depth_first_one_band_only", "depth_first_leaves_no_room"})
        EXPECT_EQ(row[k].get<double>(), 0) << what << " " << mode << " " << k;
    }
  }
  ASSERT_EQ(dram.size(), 8u);
  for (const auto& [what, by_mode] : dram) {
    EXPECT_LT(by_mode.at("fused-stage"), by_mode.at("none")) << what;
    EXPECT_LE(by_mode.at("residency"), by_mode.at("none")) << what;
    EXPECT_LE(by_mode.at("depth-first"), by_mode.at("none")) << what;
    EXPECT_EQ(resident[what].at("none"), 0) << what;
    // Where depth-first moves less DRAM than fused-stage, only groups can be why.
    if (by_mode.at("depth-first") < by_mode.at("fused-stage")) {
      EXPECT_GT(groups[what].at("depth-first"), 0) << what;
    }
    // With 1 MiB every network keeps tensors on chip, and moves far less.
    if (what.size() > 5 && what.substr(what.size() - 5) == " 1024") {
      EXPECT_GT(resident[what].at("residency"), 0) << what;
      EXPECT_LT(by_mode.at("residency"), 0.8 * by_mode.at("none")) << what;
    }
  }
}

// The issue's fused-layer goal, measured as Alwani et al. (MICRO 2016) measure it: VGG-E's first
// five convs with 362 KB on chip, most of it for feature maps (docs/mapping.md, "The Alwani
// configuration"), move at least 90 % fewer feature-map bytes depth-first than layer by layer.
// Feature maps are every layer's DRAM input reads and output writes, weights apart.
TEST(RunCli, AlwaniStackFallsNinetyPercentAt362KB) {
  const std::string dir = make_temp_dir("alwani");
  std::map<std::string, double> maps, all;
  for (const char* mode : {"none", "depth-first"}) {
    const auto r = run_cli(
        {"run", "--workload", std::string(CONLOCNN_SOURCE_DIR) + "/workloads/vgg_first5.json",
         "--timing-only", "--set", std::string("mapping.fusion=") + mode, "--set",
         "mapping.objective=energy", "--set", "buffers.weight_kib=16", "--set",
         "buffers.activation_kib=309", "--set", "buffers.output_kib=28", "--out", mode},
        dir);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    for (const auto& l : nlohmann::json::parse(slurp(dir + "/" + mode + "/layers.json"))) {
      maps[mode] +=
          l["dram_inputs_read_bytes"].get<double>() + l["dram_outputs_written_bytes"].get<double>();
      // The group's first conv reads the image through a line buffer: once, not once per band.
      if (std::string(mode) == "depth-first" && l["layer"] == "conv1_1") {
        EXPECT_EQ(l["dram_inputs_read_bytes"].get<double>(), 224.0 * 224 * 3);
        EXPECT_EQ(l["inputs_from"], "line-buffer");
      }
    }
    const auto s = nlohmann::json::parse(slurp(dir + "/" + mode + "/summary.json"));
    all[mode] = s["dram_bytes_per_inference"].get<double>();
  }
  // 16 + 309 + 28 KiB = 353 KiB = 361.5 KB. The image and conv3_1's output alone are 0.95 MB.
  EXPECT_GT(maps["depth-first"], 0.95e6);
  EXPECT_LE(maps["depth-first"], 0.10 * maps["none"])
      << maps["depth-first"] << " of " << maps["none"] << " feature-map bytes";
  EXPECT_LT(all["depth-first"], all["none"]);
}

// Under mapping.fusion = depth-first every layer either belongs to a group, runs in another's
// output stage, or says why no group starts at it; a group the chooser passed over never saves by
// the objective (it takes any that does), and summary.json counts the reasons layers.csv gives.
TEST(RunCli, DepthFirstSaysWhyALayerIsNotGrouped) {
  const std::string dir = make_temp_dir("df-why");
  const auto r = run_cli({"run", "--workload", "resnet18", "--timing-only", "--set",
                          "mapping.fusion=depth-first", "--out", dir + "/o"},
                         dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("none starts at"), std::string::npos) << r.out;
  const auto layers = nlohmann::json::parse(slurp(dir + "/o/layers.json"));
  std::map<std::string, double> tally;
  int grouped = 0;
  for (const auto& l : layers) {
    const std::string f = l["fusion"].is_string() ? l["fusion"].get<std::string>() : "";
    const std::string name = l["layer"].get<std::string>();
    const auto why = f.find("no depth-first group: ");
    const bool member = f.find("depth-first ") != std::string::npos && why == std::string::npos;
    grouped += member;
    if (why == std::string::npos) {
      // Not a start: a member, or fused into the layer before (its pair's reason is there).
      EXPECT_TRUE(member || f.rfind("in ", 0) == 0) << name << ": " << f;
      continue;
    }
    EXPECT_FALSE(member) << name << ": " << f;
    const std::string text = f.substr(why + 22);
    ++tally[text.substr(0, text.find(" ("))];
    const auto pct = text.find("bands of ");
    if (text.rfind("cheaper one after another", 0) == 0) {
      ASSERT_NE(pct, std::string::npos) << name << ": " << f;
      // "(closest group: A..B in bands of R rows, +X % edp)": X is not a saving.
      const double x = std::stod(text.substr(text.find(", ", pct) + 2));
      EXPECT_GE(x, 0.0) << name << ": " << f;
    }
  }
  const auto s = nlohmann::json::parse(slurp(dir + "/o/summary.json"));
  EXPECT_EQ(s["depth_first_layers"].get<int>(), grouped);
  EXPECT_EQ(s["depth_first_cheaper_alone"].get<double>(), tally["cheaper one after another"]);
  EXPECT_EQ(s["depth_first_no_band_fits"].get<double>(), tally["no band fits"]);
  EXPECT_EQ(s["depth_first_one_band_only"].get<double>(), tally["one band only"]);
  EXPECT_EQ(s["depth_first_leaves_no_room"].get<double>(), tally["leaves another layer no room"]);
  EXPECT_GT(tally["cheaper one after another"], 0.0);
  EXPECT_GT(s["depth_first_groups"].get<int>(), 0);
}

namespace {

// The README's fenced block that starts with `first` (its text up to the closing fence), or ""
// when it has none.
std::string readme_block(const std::string& first) {
  const std::string readme = slurp(std::string(CONLOCNN_SOURCE_DIR) + "/README.md");
  const auto at = readme.find("```\n" + first);
  if (at == std::string::npos) return "";
  const auto begin = at + 4;  // past the opening fence and its newline
  return readme.substr(begin, readme.find("```", begin) - begin);
}

}  // namespace

// The README shows what its first command prints: the same lines, the same figures, but for
// the wall-clock line (run into `out/default` of a temporary folder, as the README names it).
TEST(RunCli, ReadmeShowsWhatTheMainCommandPrints) {
  const std::string shown = readme_block("resnet18 on a 16x16");
  ASSERT_FALSE(shown.empty()) << "README.md has no printed block after the main command";
  const std::string dir = make_temp_dir("readme");
  const auto r = run_cli({"run", "--out", "out/default"}, dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto lines = [](const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string l; std::getline(in, l);)
      if (l.rfind("  wall ", 0) != 0) out.push_back(l);
    return out;
  };
  const std::vector<std::string> want = lines(shown), got = lines(r.out);
  ASSERT_EQ(want.size(), got.size()) << "README:\n" << shown << "\nthe run:\n" << r.out;
  for (std::size_t i = 0; i < want.size(); ++i)
    EXPECT_EQ(want[i], got[i]) << "line " << i + 1 << " of the README's printed block";
}

// The README's `compare` example shows what `compare --out out/compare` prints: its lines in
// order ("..." stands for rows left out), the wall-clock time after the files excepted.
TEST(RunCli, ReadmeShowsWhatTheCompareExamplePrints) {
  const std::string shown = readme_block("resnet18: elp5, fixed5, fixed8 on");
  ASSERT_FALSE(shown.empty()) << "README.md has no printed compare block";
  const std::string dir = make_temp_dir("readme-compare");
  const auto r = run_cli({"compare", "--out", "out/compare"}, dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> got;
  std::istringstream out(r.out);
  for (std::string l; std::getline(out, l);)
    got.push_back(std::regex_replace(l, std::regex(R"(  \(wall [0-9.]+ s\)$)"), ""));
  std::istringstream want(shown);
  std::size_t next = 0;
  int lines = 0;
  for (std::string l; std::getline(want, l);) {
    if (l == "...") continue;
    const auto it = std::find(got.begin() + static_cast<std::ptrdiff_t>(next), got.end(), l);
    ASSERT_NE(it, got.end()) << "the README's compare line\n"
                             << l << "\nis not printed (after line " << next << "):\n"
                             << r.out;
    next = static_cast<std::size_t>(it - got.begin()) + 1;
    ++lines;
  }
  EXPECT_GT(lines, 25) << "the block is read";
}
