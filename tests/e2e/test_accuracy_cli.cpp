#include <cmath>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <map>
#include <nlohmann/json.hpp>

#include "tests/e2e/cli_runner.h"

using namespace conloc::test;

namespace {

const std::string kSrc = CONLOCNN_SOURCE_DIR;
const std::string kCnn = kSrc + "/workloads/fmnist_cnn/network.json";

nlohmann::json read_json(const std::string& path) {
  std::ifstream f(path);
  return nlohmann::json::parse(f);
}

const nlohmann::json& find(const nlohmann::json& results, const std::string& weights,
                           const std::string& comp, int act) {
  for (const auto& r : results) {
    if (r["weights"] == weights && r["compensation"] == comp && r["activation_bits"] == act)
      return r;
  }
  ADD_FAILURE() << "no result for " << weights << " " << comp << " " << act;
  static const nlohmann::json none;
  return none;
}

// `optimize` on the small CNN with small image sets (validation test:0-299, test test:300-599,
// 50 calibration images, SQNR on 100), the configured compensation only, three points verified
// per round, into DIR/o; then `extra`.
CliResult small_optimize(const std::string& dir, const std::vector<std::string>& extra) {
  std::vector<std::string> args = {"optimize",
                                   "--workload",
                                   kCnn,
                                   "--validation",
                                   "test:0-299",
                                   "--test",
                                   "test:300-599",
                                   "--calibration",
                                   "50",
                                   "--verify",
                                   "3",
                                   "--sqnr-images",
                                   "100",
                                   "--compensations",
                                   "output_constant",
                                   "-j",
                                   "2",
                                   "--out",
                                   "o"};
  args.insert(args.end(), extra.begin(), extra.end());
  return run_cli(args, dir);
}

}  // namespace

// A small table end to end: every requested variant, the float row, costs from the simulated
// accelerator (which reproduced each variant's integer inference bit for bit), per-layer rows.
TEST(AccuracyCli, SmallTableEndToEnd) {
  const std::string out = make_temp_dir("acc") + "/a";
  const auto r =
      run_cli({"accuracy", "--workload", kCnn, "--images", "400", "--calibration", "100",
               "--formats", "fixed8,fixed3,elp4v2", "--compensation", "none,output_constant",
               "--activation-bits", "8,4", "-j", "2", "--out", out});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = read_json(out + "/accuracy.json");
  EXPECT_EQ(j["dataset"]["calibration"], "train:0-99");
  EXPECT_EQ(j["dataset"]["evaluation"], "test:0-399");
  EXPECT_TRUE(j["accelerator_bit_exact"].get<bool>());
  // float + 3 formats x (2 compensations at 8 bits + 1 at 4 bits)
  ASSERT_EQ(j["results"].size(), 10u);
  const auto& fl = j["results"][0];
  EXPECT_EQ(fl["kind"], "float");
  EXPECT_EQ(fl["images"], 400);
  const double f = fl["top1"];
  EXPECT_GT(f, 0.8);
  const auto& f8 = find(j["results"], "fixed8", "none", 8);
  const auto& f3 = find(j["results"], "fixed3", "none", 8);
  EXPECT_NEAR(f8["top1"].get<double>(), f, 0.02);
  EXPECT_LT(f3["top1"].get<double>(), f8["top1"].get<double>());
  EXPECT_EQ(f8["energy_vs_fixed8"], 1.0);
  EXPECT_LT(f3["energy_uj"].get<double>(), f8["energy_uj"].get<double>());
  const auto& e4 = find(j["results"], "elp4v2", "output_constant", 4);
  EXPECT_EQ(e4["kind"], "elp_bsd");
  EXPECT_EQ(e4["code_bits"], 4);
  // Four PE-array layers + fc per quantized variant, with held-out SQNR.
  EXPECT_EQ(j["layers"].size(), 9u * 5u);
  for (const auto& l : j["layers"]) {
    EXPECT_GT(l["output_sqnr_heldout_db"].get<double>(), 0.0) << l.dump();
    // Weights per layer, from the network's shapes: conv1 16 x 1 x 3 x 3, conv2 32 x 16 x 3 x 3.
    if (l["layer"] == "conv1") {
      EXPECT_EQ(l["weight_count"], 144) << l.dump();
    }
    if (l["layer"] == "conv2") {
      EXPECT_EQ(l["weight_count"], 4608) << l.dump();
    }
  }
  EXPECT_TRUE(std::filesystem::exists(out + "/accuracy.md"));
  EXPECT_TRUE(std::filesystem::exists(out + "/layers.csv"));
}

// A design of per-layer widths (design.layer_formats, its commas inside --formats) is a row of
// the table: its bits column is the mean stored width over the network's weights, with the PE's
// (8); it costs less than the uniform fixed8 design it runs on.
TEST(AccuracyCli, PerLayerFormatsAreARow) {
  const std::string out = make_temp_dir("acc-mixed") + "/a";
  const std::string mixed = "fixed8@design.layer_formats=conv2=fixed4,conv3=fixed3";
  const auto r = run_cli({"accuracy", "--workload", kCnn, "--images", "100", "--calibration", "50",
                          "--formats", "fixed8," + mixed, "--compensation", "none",
                          "--activation-bits", "8", "-j", "2", "--out", out});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = read_json(out + "/accuracy.json");
  ASSERT_EQ(j["results"].size(), 3u);
  const auto& f8 = find(j["results"], "fixed8", "none", 8);
  const auto& m = find(j["results"], mixed, "none", 8);
  EXPECT_LT(m["energy_uj"].get<double>(), f8["energy_uj"].get<double>());
  double bits = 0, weights = 0;
  for (const auto& l : j["layers"]) {
    if (l["weights"] != mixed) continue;
    const double n = l["weight_count"];
    bits += n * (l["layer"] == "conv2" ? 4 : l["layer"] == "conv3" ? 3 : 8);
    weights += n;
  }
  ASSERT_GT(weights, 0.0);
  char row[256];
  std::snprintf(row, sizeof row, "| %s | %.2f (PE 8) |", mixed.c_str(), bits / weights);
  std::ifstream md(out + "/accuracy.md");
  const std::string text((std::istreambuf_iterator<char>(md)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find(row), std::string::npos) << row << "\n" << text;
}

// The tool's float reference reproduces the top-1 the training script recorded on the whole
// test split (the same network in float: only summation order differs).
TEST(AccuracyCli, FloatReferenceMatchesTrainingScript) {
  const std::string out = make_temp_dir("acc-float") + "/a";
  const auto r = run_cli({"accuracy", "--workload", kCnn, "--formats", "fixed8", "--compensation",
                          "none", "--activation-bits", "8", "--calibration", "50", "--out", out});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = read_json(out + "/accuracy.json");
  EXPECT_EQ(j["results"][0]["images"], 10000);
  EXPECT_NEAR(j["results"][0]["top1"].get<double>(), j["float_top1_recorded"].get<double>(), 0.002);
  EXPECT_EQ(r.err.find("warning"), std::string::npos) << r.err;
}

TEST(AccuracyCli, BadRequestsAreClearErrors) {
  const std::string d = make_temp_dir("acc-bad");
  struct Case {
    std::vector<std::string> args;
    std::string expect;
  };
  const std::vector<Case> cases = {
      {{"--calibration", "test:0-99", "--images", "50"}, "overlaps the evaluation images"},
      {{"--images", "20000"}, "at most 10000 images in test"},
      {{"--images", "test:5-2"}, "empty range"},
      {{"--images", "valid:0-9"}, "unknown split"},
      {{"--calibration", "abc"}, "--calibration"},
      {{"--formats", "elp5v3"}, "did you mean"},
      {{"--formats", "fixed8,fixed8"}, "listed twice"},
      {{"--compensation", "magic"}, "unknown method"},
      {{"--activation-bits", "9"}, "--activation-bits"},
      {{"--data-dir", d}, "dataset-fashion-mnist"},
      {{"--workload", "tinycnn"}, "names no dataset"},
      {{"-j", "0"}, "--jobs"},
  };
  for (const auto& c : cases) {
    std::vector<std::string> args = {"accuracy", "--out", d + "/o"};
    auto given = [&](const char* opt) {
      return std::find(c.args.begin(), c.args.end(), opt) != c.args.end();
    };
    if (!given("--workload")) args.insert(args.end(), {"--workload", kCnn});
    if (!given("--images")) args.insert(args.end(), {"--images", "10"});
    args.insert(args.end(), c.args.begin(), c.args.end());
    const auto r = run_cli(args);
    EXPECT_EQ(r.exit_code, 2) << c.expect << ": " << r.err;
    EXPECT_NE(r.err.find(c.expect), std::string::npos) << r.err;
    EXPECT_FALSE(std::filesystem::exists(d + "/o")) << c.expect;
  }
}

// A dataset file with the wrong magic number, or labels that do not match the images, is named.
TEST(AccuracyCli, CorruptDatasetFilesAreNamed) {
  const std::string d = make_temp_dir("acc-corrupt");
  const std::string deb = "/usr/share/datasets/fashion-mnist";
  for (const char* f :
       {"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-labels-idx1-ubyte.gz"}) {
    std::filesystem::copy_file(deb + "/" + f, d + "/" + f);
  }
  write_file(d + "/t10k-images-idx3-ubyte", std::string("\0\0\x08\x01", 4) + std::string(12, '\0'));
  const auto r = run_cli({"accuracy", "--workload", kCnn, "--data-dir", d, "--out", d + "/o"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("t10k-images-idx3-ubyte"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("magic"), std::string::npos) << r.err;
}

// A real third-party ONNX classifier on rendered text lines whose label (upright or turned 180
// degrees) is known by construction: top-1, agreement with the float reference's class, output
// and per-layer held-out SQNR, costs from the simulated accelerator.
TEST(AccuracyCli, OnnxClassifierOnRenderedTextLines) {
  const std::string out = make_temp_dir("acc-onnx") + "/a";
  const auto r = run_cli({"accuracy",
                          "--workload",
                          kSrc + "/third_party/models/ch_ppocr_mobile_v2.0_cls_infer.onnx",
                          "--input-shape",
                          "1,3,48,192",
                          "--dataset",
                          "textlines",
                          "--images",
                          "80",
                          "--calibration",
                          "30",
                          "--sqnr-images",
                          "20",
                          "--formats",
                          "fixed8,elp4v2l",
                          "--compensation",
                          "none",
                          "--activation-bits",
                          "8",
                          "-j",
                          "2",
                          "--out",
                          out});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = read_json(out + "/accuracy.json");
  EXPECT_TRUE(j["accelerator_bit_exact"].get<bool>());
  EXPECT_EQ(j["dataset"]["name"], "textlines");
  ASSERT_EQ(j["results"].size(), 3u);
  // PaddleOCR's classifier reads the rendered lines' direction (chance: 0.5).
  EXPECT_GT(j["results"][0]["top1"].get<double>(), 0.9);
  const auto& f8 = find(j["results"], "fixed8", "none", 8);
  EXPECT_GT(f8["agreement_with_float"].get<double>(), 0.9);
  EXPECT_GT(f8["output_sqnr_db"].get<double>(), 5.0);
  EXPECT_GT(f8["energy_uj"].get<double>(), 0.0);
  EXPECT_EQ(j["layers"].size(), 2u * 54u);  // 53 convs + the fc, per quantized variant
}

// A network whose output is not a class vector (a text detector's probability map): no top-1,
// the output SQNR against the float reference instead.
TEST(AccuracyCli, OnnxDetectorReportsOutputSqnr) {
  const std::string out = make_temp_dir("acc-det") + "/a";
  const auto r = run_cli({"accuracy",
                          "--workload",
                          kSrc + "/third_party/models/ch_PP-OCRv4_det_infer.onnx",
                          "--input-shape",
                          "1,3,96,192",
                          "--dataset",
                          "textpages",
                          "--images",
                          "4",
                          "--calibration",
                          "4",
                          "--formats",
                          "fixed8,fixed4",
                          "--compensation",
                          "none",
                          "--activation-bits",
                          "8",
                          "-j",
                          "2",
                          "--out",
                          out});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = read_json(out + "/accuracy.json");
  EXPECT_TRUE(j["results"][0]["top1"].is_null());
  const double s8 = find(j["results"], "fixed8", "none", 8)["output_sqnr_db"];
  const double s4 = find(j["results"], "fixed4", "none", 8)["output_sqnr_db"];
  EXPECT_GT(s8, s4);
  EXPECT_NE(r.out.find("Output SQNR against the float reference"), std::string::npos);
}

TEST(AccuracyCli, OnnxModelNeedsADataset) {
  const auto r = run_cli(
      {"accuracy", "--workload", kSrc + "/third_party/models/ch_ppocr_mobile_v2.0_cls_infer.onnx",
       "--input-shape", "1,3,48,192", "--out", make_temp_dir("acc-nods") + "/a"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("the workload names no dataset"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("--dataset NAME"), std::string::npos) << r.err;
  const auto r2 = run_cli({"accuracy", "--workload", kCnn, "--dataset", "textlines", "--out",
                           make_temp_dir("acc-other") + "/a"});
  EXPECT_EQ(r2.exit_code, 2);
  EXPECT_NE(r2.err.find("the workload names another dataset"), std::string::npos) << r2.err;
}

// `optimize` end to end on the small CNN (docs/optimize.md): the chosen design meets the budget
// on the validation images, is no dearer than the PE's own uniform design, and its figures are
// what standalone commands give for the same design: `run` (energy, to the bit) and `accuracy`
// on the test images (top-1); the additive proxy's energy is within 5 % of the simulated one.
TEST(OptimizeCli, ChoosesAMixedDesignThatStandaloneRunsReproduce) {
  const std::string dir = make_temp_dir("optimize");
  const auto r = run_cli({"optimize",
                          "--workload",
                          kCnn,
                          "--max-top1-drop",
                          "2",
                          "--validation",
                          "test:0-499",
                          "--test",
                          "test:500-999",
                          "--calibration",
                          "100",
                          "--bits",
                          "3,5,8",
                          "--compensations",
                          "both",
                          "--verify",
                          "4",
                          "--sqnr-images",
                          "100",
                          "--families",
                          "fixed,elp,elp+fixed",
                          "-j",
                          "2",
                          "--out",
                          "o"},
                         dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = read_json(dir + "/o/optimize.json");
  EXPECT_EQ(j["dataset"]["validation"], "test:0-499");
  ASSERT_EQ(j["families"].size(), 3u);
  EXPECT_EQ(j["families"][0]["bits"], nlohmann::json({3, 5, 8}));
  EXPECT_EQ(j["families"][1]["bits"], nlohmann::json({3, 5, 8}));  // ELP_BSD v2: 3..8
  // The configured compensation first.
  EXPECT_EQ(j["families"][0]["compensations"], nlohmann::json({"output_constant", "both"}));
  // At 3 bits ELP_BSD offers the one-term Laplace set beside the per-layer one.
  EXPECT_EQ(j["families"][1]["formats"],
            nlohmann::json({"elp3v2", "elp3v2l", "elp5v2l", "elp8v2l"}));
  // elp+fixed adds fixed point where a loadable decoder holds its integers: fixed3 on elp3v2l
  // (3 = 2 + 1), fixed5 only on the three-term elp8v2l (11 = 8 + 2 + 1), fixed8 on none (43
  // needs four digits).
  EXPECT_EQ(j["families"][2]["family"], "elp+fixed");
  EXPECT_EQ(j["families"][2]["formats"],
            nlohmann::json({"elp3v2", "elp3v2l", "fixed3", "elp5v2l", "fixed5", "elp8v2l"}));
  // Five PE-array layers x (three fixed-point widths x two compensations, less the PE's own),
  // x (four ELP_BSD formats x two, less the PE's own) and x (six formats x two, less the PE's
  // own) for elp+fixed, whose ELP_BSD designs are elp's: each measured once.
  EXPECT_EQ(j["sensitivity"].size(), 5u * 5u + 5u * 7u + 5u * 11u);
  // Every uniform design with each compensation.
  int both = 0;
  for (const auto& u : j["uniform"])
    both += u["design"].get<std::string>().find("@design.compensation=both") != std::string::npos;
  EXPECT_EQ(2 * both, static_cast<int>(j["uniform"].size()));
  const auto& chosen = j["chosen"];
  ASSERT_FALSE(chosen.is_null());
  const std::string design = chosen["validation"]["design"];
  const double energy = chosen["validation"]["energy_pj"];
  EXPECT_GE(chosen["validation"]["top1"].get<double>(),
            j["float_top1"]["validation"].get<double>() - 0.02 - 1e-12);
  for (const auto& u : j["uniform"]) {
    if (u["design"] == "fixed") {
      EXPECT_LE(energy, u["energy_pj"].get<double>());
    }
  }
  ASSERT_FALSE(j["verified"].empty());
  for (const auto& v : j["verified"]) {
    EXPECT_NEAR(v["proxy_energy_pj"].get<double>() / v["energy_pj"].get<double>(), 1.0, 0.05)
        << v.dump();
  }
  const auto run = run_cli(
      {"run", "--workload", kCnn, "--design", design, "--calibration", "100", "--out", "r"}, dir);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(read_json(dir + "/r/summary.json")["energy_pj"].get<double>(), energy);
  const auto acc = run_cli({"accuracy", "--workload", kCnn, "--formats", design, "--images",
                            "test:500-999", "--calibration", "100", "--compensation",
                            "output_constant", "--activation-bits", "8", "--out", "a"},
                           dir);
  ASSERT_EQ(acc.exit_code, 0) << acc.err;
  const auto a = read_json(dir + "/a/accuracy.json");
  EXPECT_EQ(find(a["results"], design, "output_constant", 8)["top1"], chosen["test"]["top1"]);
  const double t1 = chosen["test"]["top1"];
  EXPECT_EQ(chosen["test"]["images"], 500);
  EXPECT_NEAR(chosen["test"]["top1_ci95"].get<double>(), 1.96 * std::sqrt(t1 * (1 - t1) / 500),
              1e-12);
  EXPECT_EQ(chosen["test"]["energy_pj"], chosen["validation"]["energy_pj"]);
  EXPECT_TRUE(std::filesystem::exists(dir + "/o/candidates.csv"));
  EXPECT_TRUE(std::filesystem::exists(dir + "/o/sensitivity.csv"));

  // The chosen design is the cheapest verified one of any family that meets the budget; the
  // fixed family's cheapest is reported beside it and the ratio is theirs.
  double cheapest_fixed = 0, cheapest_elp = 0;
  std::string elp_design;
  for (const auto& v : j["verified"]) {
    const double e = v["energy_pj"];
    if (!v["meets_budget"].get<bool>()) continue;
    EXPECT_GE(e, energy) << v.dump();
    double& best = v["family"] == "fixed" ? cheapest_fixed : cheapest_elp;
    if (best == 0 || e < best) {
      best = e;
      if (v["family"] != "fixed") elp_design = v["design"];  // elp or elp+fixed
    }
  }
  ASSERT_GT(cheapest_fixed, 0);
  ASSERT_FALSE(elp_design.empty()) << "no ELP_BSD mix met the budget";
  EXPECT_EQ(j["best_fixed_mixed"]["validation"]["energy_pj"].get<double>(), cheapest_fixed);
  EXPECT_DOUBLE_EQ(j["energy_vs_best_fixed_mixed"].get<double>(), energy / cheapest_fixed);
  // The cheapest of all that meet the budget on validation: the chosen mix or a uniform design.
  double cheapest = energy;
  std::string cheapest_is = "chosen";
  for (const auto& u : j["uniform"]) {
    const bool meets =
        u["top1"].get<double>() >= j["float_top1"]["validation"].get<double>() - 0.02 - 1e-12;
    if (meets && u["energy_pj"].get<double>() < cheapest) {
      cheapest = u["energy_pj"];
      cheapest_is = "best_uniform";
    }
  }
  EXPECT_EQ(j["cheapest"]["energy_pj"].get<double>(), cheapest) << j["cheapest"].dump();
  EXPECT_EQ(j["cheapest"]["is"], cheapest_is);
  // The cheapest mix on an ELP_BSD PE runs standalone at the energy the search saw.
  const auto elp_run = run_cli(
      {"run", "--workload", kCnn, "--design", elp_design, "--calibration", "100", "--out", "re"},
      dir);
  ASSERT_EQ(elp_run.exit_code, 0) << elp_run.err;
  EXPECT_EQ(read_json(dir + "/re/summary.json")["energy_pj"].get<double>(), cheapest_elp);
}

// An output-SQNR budget (any model): the chosen design's output SQNR on the validation images is
// at least the floor, and so is every verified design said to meet it.
TEST(OptimizeCli, OutputSqnrBudget) {
  const std::string dir = make_temp_dir("optimize-sqnr");
  const auto r = small_optimize(dir, {"--min-output-sqnr", "18", "--bits", "3,4,8"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find(" dB, test "), std::string::npos) << r.out;
  const auto j = read_json(dir + "/o/optimize.json");
  EXPECT_EQ(j["budget"]["min_output_sqnr_db"], 18.0);
  EXPECT_GE(j["chosen"]["validation"]["output_sqnr_db"].get<double>(), 18.0);
  for (const auto& v : j["verified"]) {
    EXPECT_EQ(v["meets_budget"].get<bool>(), v["output_sqnr_db"].get<double>() >= 18.0) << v.dump();
  }
}

// --margin-z: a verified design meets a top-1 budget when its drop plus Z standard errors of the
// paired difference (sqrt(disagreements) / images) stays within it; the bound is recomputed here
// from the row's own counts.
TEST(OptimizeCli, MarginZBoundsTheDropOnValidation) {
  const std::string dir = make_temp_dir("optimize-margin");
  const auto r = small_optimize(
      dir, {"--max-top1-drop", "3", "--bits", "4,8", "--families", "fixed", "--margin-z", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = read_json(dir + "/o/optimize.json");
  EXPECT_EQ(j["budget"]["margin_z"], 1.0);
  const double float_top1 = j["float_top1"]["validation"];
  int tight = 0;  // rows the margin turned away
  nlohmann::json rows = j["verified"];
  rows.insert(rows.end(), j["uniform"].begin(), j["uniform"].end());
  for (const auto& v : rows) {
    const double n = v["images"], d = v["disagreements_with_float"], top1 = v["top1"];
    const double bound = float_top1 - top1 + std::sqrt(d) / n;
    EXPECT_NEAR(v["top1_drop_bound"].get<double>(), bound, 1e-12) << v.dump();
    EXPECT_EQ(v["meets_budget"].get<bool>(), bound <= 0.03 + 1e-12) << v.dump();
    tight += float_top1 - top1 <= 0.03 && bound > 0.03;
  }
  EXPECT_LE(j["chosen"]["validation"]["top1_drop_bound"].get<double>(), 0.03 + 1e-12);
  EXPECT_GT(tight, 0) << "the margin changed no verdict: the test would pass without it";
}

// The accelerator searched jointly (--axis): every design is simulated on every array, the
// chosen one names its array, and a standalone run of that design on that array gives its energy
// to the bit; the PE's own design is cheaper on one array than the other (the axis matters).
TEST(OptimizeCli, AxisSearchesTheArrayJointly) {
  const std::string dir = make_temp_dir("optimize-axis");
  const auto r =
      small_optimize(dir, {"--max-top1-drop", "2", "--bits", "4,8", "--axis", "array.rows=8,32"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = read_json(dir + "/o/optimize.json");
  std::map<std::string, double> own;  // the PE's own design per array
  for (const auto& u : j["uniform"]) {
    if (u["design"] == "fixed") own[u["accelerator"]["array.rows"]] = u["energy_pj"];
  }
  ASSERT_EQ(own.size(), 2u);
  EXPECT_NE(own["8"], own["32"]);
  const auto& chosen = j["chosen"]["validation"];
  const std::string rows = chosen["accelerator"]["array.rows"];
  const auto run = run_cli({"run", "--workload", kCnn, "--design", chosen["design"],
                            "--calibration", "50", "--set", "array.rows=" + rows, "--out", "r"},
                           dir);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(read_json(dir + "/r/summary.json")["energy_pj"].get<double>(),
            chosen["energy_pj"].get<double>());
}

// Requests optimize cannot honour are clear errors naming the option, exit code 2, nothing
// written: no budget or two, a budget no design meets (with the best reachable), image sets that
// overlap, a width the PE does not run, a workload without a dataset, layer formats given.
TEST(OptimizeCli, BadRequestsAreClearErrors) {
  const std::string dir = make_temp_dir("optimize-bad");
  // Each case: options over these (an empty value drops the option).
  const std::map<std::string, std::string> small = {
      {"--workload", kCnn},       {"--validation", "test:0-199"},
      {"--test", "test:200-399"}, {"--calibration", "50"},
      {"--bits", "4,8"},          {"--compensations", "output_constant"},
      {"--verify", "2"},          {"-j", "2"},
      {"--max-top1-drop", "1"}};
  struct Bad {
    std::map<std::string, std::string> opts;
    std::vector<std::string> sets;
    std::string must_name;
  };
  const std::vector<Bad> cases = {
      {{{"--max-top1-drop", ""}}, {}, "exactly one budget"},
      {{{"--min-output-sqnr", "10"}}, {}, "exactly one budget"},
      {{{"--max-top1-drop", ""}, {"--min-output-sqnr", "200"}}, {}, "best reachable"},
      {{{"--test", "test:150-300"}}, {}, "--test"},
      {{{"--bits", "4,9"}}, {}, "--bits"},
      {{{"--max-top1-drop", "-1"}}, {}, "--max-top1-drop"},
      {{{"--workload", "tinycnn"}}, {}, "dataset"},
      {{}, {"design.mac=fixed", "design.layer_formats=conv1=fixed4"}, "design.layer_formats"},
      {{{"--axis", "design.fixed.weight_bits=6,8"}}, {}, "changes the compiled network"},
      {{{"--axis", "array.rows=0,8"}}, {}, "--axis array.rows"},
      {{{"--axis", "array.rows"}}, {}, "KEY=V1,V2"},
      {{{"--families", "elp,elp"}}, {}, "--families"},
      {{{"--compensations", "feedback"}}, {}, "--compensations"},
      {{{"--margin-z", "-1"}}, {}, "--margin-z"},
      {{{"--families", "elp"}, {"--bits", "2,4"}}, {}, "not a width of the families searched"},
      {{{"--families", "elp"}, {"--bits", "2"}}, {}, "no width of the ELP_BSD v2 family"},
  };
  for (const Bad& b : cases) {
    std::map<std::string, std::string> opts = small;
    for (const auto& [k, v] : b.opts)
      opts[k] = v;
    std::vector<std::string> args = {"optimize", "--out", "o"};
    for (const auto& [k, v] : opts) {
      if (!v.empty()) args.insert(args.end(), {k, v});
    }
    for (const auto& kv : b.sets)
      args.insert(args.end(), {"--set", kv});
    const auto r = run_cli(args, dir);
    EXPECT_EQ(r.exit_code, 2) << b.must_name << "\n" << r.err;
    EXPECT_NE(r.err.find(b.must_name), std::string::npos) << r.err;
    EXPECT_FALSE(std::filesystem::exists(dir + "/o/optimize.json")) << b.must_name;
  }
}
