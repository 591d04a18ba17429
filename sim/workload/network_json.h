#pragma once

#include <string>

#include "modules/common/network.h"
#include "sim/workload/dataset.h"

namespace conloc {

// A network description in JSON (docs/workloads.md):
// {"name": "net", "input": [H, W, C],
//  "layers": [{"name": "c1", "type": "conv", "out_channels": 16, "kernel": 3, "stride": 1,
//              "pad": 1, "groups": 1, "act": "relu", "input": "<layer name>|input"}, ...]}
// "input" defaults to the previous layer; "add" takes "inputs": [a, b]. Errors name the file and
// the JSON path (layers[3].kernel).
// Returns the network plus the trained files it names (paths resolved against the JSON file's
// folder; empty when absent): "weights" (a folder of .npy files), "images", "labels"
// (docs/workloads.md), and the dataset it was trained on ("dataset", docs/accuracy.md).
struct NetworkFile {
  Network net;
  std::string weights_dir, images, labels;
  DatasetRef dataset;
};
NetworkFile load_network_file(const std::string& path);

}  // namespace conloc
