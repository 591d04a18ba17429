#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <utility>
#include <vector>

#include "sim/config/param_registry.h"
#include "sim/config/sim_config.h"

namespace conloc::test {

// Values of parameter `p` other than `current`, most plausible first, for property tests that
// vary every registry parameter (a choice's other choices; an integer or number one step either
// side and its bounds; the string parameters' other tables and level sets). A test uses the first
// one the configuration accepts.
std::vector<nlohmann::json> alternatives(const ParamSpec& p, const nlohmann::json& current);

// `base` with parameter `p` moved to the first of its alternatives `base` accepts, and that value;
// none when it accepts none.
std::optional<std::pair<SimConfig, nlohmann::json>> moved(const SimConfig& base,
                                                          const ParamSpec& p);

}  // namespace conloc::test
