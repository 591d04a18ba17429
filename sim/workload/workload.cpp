#include "sim/workload/workload.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "modules/base/error.h"
#include "sim/workload/network_json.h"
#include "sim/workload/npy.h"
#include "sim/workload/npy_weights.h"
#include "sim/workload/onnx_import.h"
#include "sim/workload/topology_csv.h"
#include "sim/workload/zoo.h"

namespace conloc {

namespace {

// Labels: one non-negative integer class per image, as many as there are images.
void check_labels(const std::string& labels, const std::string& images) {
  const NpyArray l = read_npy(labels);
  const NpyArray im = read_npy(images);
  const std::int64_t n = im.shape.size() == 4 ? im.shape[0] : 1;
  if (l.shape.size() != 1 || l.shape[0] != n) {
    throw UserError(field_error(labels, "shape", "one label per image", dims_text(l.shape),
                                "[" + std::to_string(n) + "] (the images in " + images + ")"));
  }
  for (std::size_t i = 0; i < l.data.size(); ++i) {
    const float v = l.data[i];
    if (!std::isfinite(v) || v < 0 || v != std::floor(v) || v > 1e6f) {
      throw UserError(field_error(labels, "[" + std::to_string(i) + "]", "not a class index",
                                  std::to_string(v), "an integer >= 0"));
    }
  }
}

// The .npy files of a trained-weights folder, in name order.
std::vector<std::string> npy_files(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    if (e.path().extension() == ".npy") out.push_back(e.path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

Workload load_workload(const std::string& name_or_file, std::uint64_t seed, int image,
                       const std::vector<std::int64_t>& input_shape) {
  Workload w;
  // One loader per kind of workload: a built-in name, or a file chosen by its extension.
  const std::string ext = std::filesystem::path(name_or_file).extension().string();
  if (!input_shape.empty() && ext != ".onnx") {
    throw UserError(field_error("--input-shape", "", "only an ONNX model takes an input shape",
                                name_or_file, "a .onnx workload"));
  }
  if (ext == ".onnx") {
    OnnxImport m = import_onnx(name_or_file, input_shape, seed);
    w.net = std::move(m.net);
    w.weights = std::move(m.weights);
    w.notes = std::move(m.notes);
    w.files = std::move(m.files);
  } else if (is_zoo_network(name_or_file)) {
    w.net = zoo_network(name_or_file);
  } else if (ext == ".csv") {
    w.net = load_topology_csv(name_or_file);
    w.files = {name_or_file};
  } else if (ext == ".json") {
    NetworkFile f = load_network_file(name_or_file);
    w.net = std::move(f.net);
    w.files = {name_or_file};
    if (!f.weights_dir.empty()) {
      if (f.images.empty()) {
        throw UserError(field_error(name_or_file, "images", "trained weights need input images", "",
                                    "a .npy file of normalised [N, H, W, C] images"));
      }
      w.files.push_back(f.images);
      for (const std::string& npy : npy_files(f.weights_dir))
        w.files.push_back(npy);
      w.weights = std::make_unique<NpyWeights>(f.weights_dir, f.images, image < 0 ? 0 : image);
      w.labels = f.labels;
      w.dataset = f.dataset;
      if (!w.labels.empty()) check_labels(w.labels, f.images);
    }
  } else if (ext.empty() && name_or_file.find('/') == std::string::npos) {
    zoo_network(name_or_file);  // throws "unknown workload" with the known names
  } else {
    throw UserError(field_error("--workload", "", "unknown workload file type",
                                "\"" + name_or_file + "\"",
                                ".json (network), .csv (SCALE-Sim topology or GEMM), .onnx (model) "
                                "or a built-in name"));
  }
  if (!w.weights) {
    if (image >= 0) {
      throw UserError(field_error("--image", "", "this workload ships no images",
                                  std::to_string(image),
                                  "a workload with \"images\" (e.g. "
                                  "workloads/fmnist_cnn/network.json)"));
    }
    w.weights = std::make_unique<SyntheticWeights>(seed);
  }
  w.key = nlohmann::json{{"workload", name_or_file},
                         {"seed", seed},
                         {"image", image},
                         {"input_shape", input_shape}}
              .dump();
  return w;
}

}  // namespace conloc
