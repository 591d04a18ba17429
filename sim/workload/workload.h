#pragma once

#include <memory>
#include <string>

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
};

// `name_or_file`: a zoo name or a network JSON file. `image` selects the input image of a
// workload that ships images (-1: the first); asking for an image of a workload without images,
// or one out of range, is a UserError.
Workload load_workload(const std::string& name_or_file, std::uint64_t seed, int image = -1);

}  // namespace conloc
