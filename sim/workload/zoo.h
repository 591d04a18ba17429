#pragma once

#include <string>
#include <vector>

#include "modules/common/network.h"

namespace conloc {

// Built-in networks (shapes only; weights come from a seeded synthetic distribution, see
// SyntheticWeights in sim/workload/weight_source.h). Layer shapes follow torchvision; batch norm
// is folded into the convolutions, so each conv carries a bias.
std::vector<std::string> zoo_names();
bool is_zoo_network(const std::string& name);
Network zoo_network(const std::string& name);  // UserError listing the known names

}  // namespace conloc
