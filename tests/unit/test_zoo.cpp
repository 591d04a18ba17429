// torchvision's CNNs as PyTorch exports them (scripts/export_torchvision.py, seeded random
// weights), at a 64 x 64 input: each imports, its float reference matches NumPy's evaluation of
// the same file, and a functional run is bit-exact against the integer reference (also with the
// depth-first groups the mapper chooses). One model per family the importer needed something for
// (tests/CMakeLists.txt's Zoo test checks the MAC counts at full size; docs/workloads.md
// tabulates the whole zoo). Skipped where python3-torchvision is not installed.
#include <cstdlib>
#include <fstream>
#include <gtest/gtest.h>
#include <map>
#include <string>
#include <sys/wait.h>
#include <vector>

#include "tests/support/onnx_checks.h"
#include "tests/support/temp_dir.h"

using namespace conloc;
using conloc::test_support::expect_matches_numpy;
using conloc::test_support::expect_runs_bit_exact;

namespace {

const std::vector<std::string> kModels = {
    "resnet18",                   // residual adds
    "densenet121",                // standalone BatchNorm, one-tensor concats
    "googlenet",                  // inception concats, ceil-mode pooling
    "squeezenet1_1",              // fire-module concats
    "mobilenet_v3_small",         // hardswish, squeeze-and-excitation gates
    "efficientnet_b0",            // SiLU, gates
    "regnet_y_400mf",             // grouped convs, gates
    "shufflenet_v2_x0_5",         // channel split and shuffle
    "lraspp_mobilenet_v3_large",  // bilinear upsampling, segmentation head
    "convnext_tiny",              // LayerNorm as ops, Linear on NHWC permutes, GELU, layer scale
};

const std::string kZoo = std::string(CONLOCNN_SOURCE_DIR) + "/third_party/models/torchvision";

// Exports `models` at `size` x `size` and `opset` into `out`, then checks each against NumPy and
// for bit-exactness; false when python3-torchvision is missing (the caller skips).
bool export_and_check(const std::vector<std::string>& models, int opset, const std::string& out,
                      int size = 64) {
  const std::string dir = test::make_temp_dir("zoo");
  std::string cmd = "/usr/bin/python3 '" + std::string(CONLOCNN_SOURCE_DIR) +
                    "/scripts/export_torchvision.py' --size " + std::to_string(size) + " --opset " +
                    std::to_string(opset) + " --out '" + out + "'";
  for (const std::string& m : models)
    cmd += " " + m;
  cmd += " > '" + dir + "/export.log' 2>&1";
  const int rc = std::system(cmd.c_str());
  if (WIFEXITED(rc) && WEXITSTATUS(rc) == 77) return false;
  EXPECT_EQ(rc, 0) << cmd;
  for (const std::string& m : models) {
    SCOPED_TRACE(m + " at opset " + std::to_string(opset));
    const std::string path = out + "/" + m + "_" + std::to_string(size) + ".onnx";
    expect_matches_numpy(path, {}, false, false, dir);
    expect_runs_bit_exact(path, {}, dir, m);
    // Depth-first groups the mapper chooses across whatever the model holds (concats,
    // upsampling, shuffles, gates), at the default activation SRAM and at one that forces more
    // and longer groups.
    expect_runs_bit_exact(path, {"mapping.fusion=depth-first"}, dir, m + "-df");
    expect_runs_bit_exact(path, {"mapping.fusion=depth-first", "buffers.activation_kib=16"}, dir,
                          m + "-df16");
  }
  return true;
}

}  // namespace

TEST(Zoo, SmallInputsMatchNumpyAndRunBitExact) {
  if (!export_and_check(kModels, 13, kZoo)) GTEST_SKIP() << "python3-torchvision not installed";
}

// At opset 17 torch writes ConvNeXt's LayerNorm as one LayerNormalization op; the other
// families export as at 13 (their own folder: the cache keys a file by name, not opset).
TEST(Zoo, Opset17ExportsMatchNumpyAndRunBitExact) {
  if (!export_and_check({"convnext_tiny", "resnet18", "shufflenet_v2_x0_5"}, 17,
                        kZoo + "/opset17")) {
    GTEST_SKIP() << "python3-torchvision not installed";
  }
}

// Every model of the zoo (export_torchvision.py --list), not only one per family: by hand, as it
// exports the whole zoo (about 10 GB) into the folder CONLOCNN_ZOO_ALL names (docs/workloads.md),
// at opset CONLOCNN_ZOO_OPSET (default 13).
// At 64 x 64 but Inception-v3 (its stem needs 75 or more: 96) and AlexNet and the VGGs (torch
// exports their classifier's adaptive pooling only where the feature map is a multiple of its
// 6 x 6 / 7 x 7 output: 224).
TEST(Zoo, EveryModelAtASmallInputByHand) {
  const char* out = std::getenv("CONLOCNN_ZOO_ALL");
  if (!out || !*out) GTEST_SKIP() << "by hand: CONLOCNN_ZOO_ALL=DIR exports every model into DIR";
  const std::string list = test::make_temp_dir("zoo-list") + "/models.txt";
  const std::string cmd = "/usr/bin/python3 '" + std::string(CONLOCNN_SOURCE_DIR) +
                          "/scripts/export_torchvision.py' --list > '" + list + "'";
  const int rc = std::system(cmd.c_str());
  if (WIFEXITED(rc) && WEXITSTATUS(rc) == 77) GTEST_SKIP() << "python3-torchvision not installed";
  ASSERT_EQ(rc, 0) << cmd;
  std::ifstream f(list);
  std::map<int, std::vector<std::string>> by_size;
  for (std::string m; f >> m;) {
    const int size = m == "inception_v3" ? 96 : m == "alexnet" || m.rfind("vgg", 0) == 0 ? 224 : 64;
    by_size[size].push_back(m);
  }
  ASSERT_GT(by_size[64].size(), 60u);
  // CONLOCNN_ZOO_OPSET: the opset to export at (default 13; each opset wants its own folder).
  const char* env_opset = std::getenv("CONLOCNN_ZOO_OPSET");
  const int opset = env_opset ? std::atoi(env_opset) : 13;
  ASSERT_GE(opset, 7) << "CONLOCNN_ZOO_OPSET: an ONNX opset of 7 or more; got \"" << env_opset
                      << "\"";
  for (const auto& [size, models] : by_size)
    EXPECT_TRUE(export_and_check(models, opset, out, size)) << size;
}
