#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "modules/common/compiled_network.h"
#include "sim/config/sim_config.h"
#include "sim/workload/dataset.h"
#include "sim/workload/workload.h"

namespace conloc {

// One row of the accuracy table: a weight format with a compensation method and an activation
// width, or the float reference (docs/accuracy.md).
struct AccuracyVariant {
  std::string weights;       // "float" or a design name: "fixed8", "elp5v2", ...
  std::string kind;          // "float", "fixed" or "elp_bsd"
  int code_bits = 32;        // stored bits per weight (32 for float)
  std::string compensation;  // design.compensation ("none" for float)
  int activation_bits = 32;  // 32 for float
  SimConfig cfg;             // the configuration of a quantized variant
};

// Images by split and index range [begin, end).
struct ImageRange {
  std::string split;  // "train" or "test"
  std::int64_t begin = 0, end = 0;
  std::int64_t size() const { return end - begin; }
  std::string text() const;
};

// "N" (the first N of `default_split`) or "SPLIT:A-B" (images A..B inclusive); a malformed or
// out-of-range value is a UserError naming `option`.
ImageRange parse_image_range(const std::string& text, const std::string& default_split,
                             const Dataset& ds, const std::string& option);

// What a compiled variant does on held-out images, per PE-array layer.
struct LayerAccuracy {
  std::string layer;
  std::int64_t weight_count = 0;  // weights of the layer (goals such as "layers of 2,000+ weights")
  double weight_sqnr_db = 0;
  double output_sqnr_db = 0;   // held-out images, the variant's compensation applied
  double rho_calibration = 0;  // neighbour correlation the compiler measured
  double rho_heldout = 0;      // the same on the held-out images
};

// A classifier's output is a class vector (1 x 1 x K, K >= 2): top-1 applies; other models
// (e.g. a detector's map) are measured by their output SQNR only.
bool is_classifier(const Network& net);

struct AccuracyResult {
  AccuracyVariant variant;
  // Classifier networks (output 1x1xK, K >= 2): top-1 / top-5 against the labels, and how many
  // images get the float reference's top class. Others (e.g. a detector's map): only the SQNR.
  bool classifier = true;
  std::int64_t images = 0, top1_correct = 0, top5_correct = 0, agree_float = 0;
  // The network output against the float reference's on the SQNR images (quantized variants).
  double output_sqnr_db = std::numeric_limits<double>::quiet_NaN();
  double agreement() const { return images ? static_cast<double>(agree_float) / images : 0.0; }
  double top1() const { return images ? static_cast<double>(top1_correct) / images : 0.0; }
  double top5() const { return images ? static_cast<double>(top5_correct) / images : 0.0; }
  std::vector<LayerAccuracy> layers;          // quantized variants
  std::shared_ptr<const CompiledNetwork> cn;  // quantized variants: what was evaluated
};

struct AccuracySetup {
  ImageRange calibration, evaluation;
  std::int64_t sqnr_images = 100;  // first evaluation images the per-layer SQNR is measured on
  // Per-layer output SQNR and neighbour correlation on those images (AccuracyResult::layers);
  // without, only the network output's SQNR (what optimize needs, at less work).
  bool layer_statistics = true;
  int jobs = 1;  // worker threads
  // Called from the calling thread about twice a second with (work done, work total).
  std::function<void(std::int64_t, std::int64_t)> progress;
};

// Calibrates every quantized variant on the calibration images, then runs every evaluation image
// through the float reference and each variant's integer inference (sim/reference/inference.h),
// on `setup.jobs` threads. Results in variant order.
std::vector<AccuracyResult> evaluate_accuracy(const Workload& w, const Dataset& ds,
                                              const AccuracySetup& setup,
                                              const std::vector<AccuracyVariant>& variants);

}  // namespace conloc
