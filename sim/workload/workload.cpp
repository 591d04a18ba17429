#include "sim/workload/workload.h"

#include <filesystem>

#include "modules/common/error.h"
#include "sim/workload/network_json.h"
#include "sim/workload/npy_weights.h"
#include "sim/workload/zoo.h"

namespace conloc {

Workload load_workload(const std::string& name_or_file, std::uint64_t seed, int image) {
  Workload w;
  if (is_zoo_network(name_or_file)) {
    w.net = zoo_network(name_or_file);
  } else {
    const bool looks_like_file =
        name_or_file.find('/') != std::string::npos || name_or_file.find('.') != std::string::npos;
    if (!looks_like_file && !std::filesystem::exists(name_or_file)) {
      zoo_network(name_or_file);  // throws "unknown workload" with the known names
    }
    NetworkFile f = load_network_file(name_or_file);
    w.net = std::move(f.net);
    if (!f.weights_dir.empty()) {
      if (f.images.empty()) {
        throw UserError(field_error(name_or_file, "images", "trained weights need input images", "",
                                    "a .npy file of normalised [N, H, W, C] images"));
      }
      w.weights = std::make_unique<NpyWeights>(f.weights_dir, f.images, image < 0 ? 0 : image);
      w.labels = f.labels;
    }
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
  return w;
}

}  // namespace conloc
