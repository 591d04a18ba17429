#pragma once

#include <nlohmann/json.hpp>
#include <vector>

#include "sim/config/param_registry.h"

namespace conloc::test {

// Values of parameter `p` other than `current`, most plausible first, for property tests that
// vary every registry parameter (a choice's other choices; an integer or number one step either
// side and its bounds; the string parameters' other tables and level sets). A test uses the first
// one the configuration accepts.
std::vector<nlohmann::json> alternatives(const ParamSpec& p, const nlohmann::json& current);

}  // namespace conloc::test
