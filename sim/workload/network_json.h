#pragma once

#include <string>

#include "sim/workload/network.h"

namespace conloc {

// A network description in JSON (docs/workloads.md):
// {"name": "net", "input": [H, W, C],
//  "layers": [{"name": "c1", "type": "conv", "out_channels": 16, "kernel": 3, "stride": 1,
//              "pad": 1, "groups": 1, "act": "relu", "input": "<layer name>|input"}, ...]}
// "input" defaults to the previous layer; "add" takes "inputs": [a, b]. Errors name the file and
// the JSON path (layers[3].kernel).
Network load_network_json(const std::string& path);

}  // namespace conloc
