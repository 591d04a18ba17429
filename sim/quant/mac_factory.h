#pragma once

#include <memory>

#include "modules/arith/mac_model.h"
#include "sim/config/sim_config.h"

namespace conloc {

// The MAC model of `kind` with the design's widths. Activations feeding it are signed or unsigned
// (after ReLU), which changes the operand width of the datapath.
std::unique_ptr<MacModel> make_mac_model(const DesignConfig& design, MacKind kind,
                                         bool activation_signed);

}  // namespace conloc
