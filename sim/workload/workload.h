#pragma once

#include <memory>
#include <string>
#include <vector>

#include "modules/common/network.h"
#include "sim/workload/dataset.h"
#include "sim/workload/weight_source.h"

namespace conloc {

// A network and where its weights and input come from: trained files named by a network JSON
// file, or seeded synthetic parameters for shape-only networks.
struct Workload {
  Network net;
  std::unique_ptr<WeightSource> weights;
  std::string labels;  // .npy of the images' labels, when the workload ships them
  DatasetRef dataset;  // the dataset trained weights came from (name empty: none)
  // What the loader could not model exactly (e.g. ONNX ops not run); the run summary lists them.
  std::vector<std::string> notes;
  // What it was loaded from (name or file, seed, image, input shape), as text: part of the key a
  // compiled network is cached and checked by (sim/run/prepare.h).
  std::string key;
  // Every file the loader read (the workload file, an ONNX model's external data, trained weights
  // and images): the compile cache's key holds their contents (sim/run/compile_cache.h).
  std::vector<std::string> files;
};

// `name_or_file`: a zoo name or a file whose loader its extension chooses: .json (network),
// .csv (SCALE-Sim topology or GEMM list), .onnx. `image` selects the input image of a workload
// that ships images (-1: the first); asking for an image of a workload without images, or one
// out of range, is a UserError. `input_shape` sets an ONNX model's input dimensions (ONNX
// order); for other workloads it must be empty.
Workload load_workload(const std::string& name_or_file, std::uint64_t seed, int image = -1,
                       const std::vector<std::int64_t>& input_shape = {});

}  // namespace conloc
