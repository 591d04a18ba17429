#pragma once

#include <cstddef>
#include <memory>
#include <vector>

#include "modules/arith/mac_model.h"
#include "sim/config/sim_config.h"

namespace conloc {

// The MAC model of `kind` with the design's widths. Activations feeding it are signed or unsigned
// (after ReLU), which changes the operand width of the datapath.
std::unique_ptr<MacModel> make_mac_model(const DesignConfig& design, MacKind kind,
                                         bool activation_signed);

// The MAC of one layer: as make_mac_model, except that a per-layer ELP_BSD v2 design
// (elp<b>v2l) chooses its level set from the layer's weights (`rows` x `k`, each row normalised
// by its RMS) by the same exact search as the fixed sets, on the measured distribution.
std::unique_ptr<MacModel> make_layer_mac(const DesignConfig& design, MacKind kind,
                                         bool activation_signed, const float* weights,
                                         std::size_t rows, std::size_t k);

// The MAC make_layer_mac chose for a layer, again from its level set (`magnitudes`, ascending;
// empty where the design has no per-layer set): how a compiled network read back from the
// compile cache (sim/quant/compiled_io.h) gets its layers' datapaths.
std::unique_ptr<MacModel> make_layer_mac_with_levels(const DesignConfig& design, MacKind kind,
                                                     bool activation_signed,
                                                     std::vector<std::int32_t> magnitudes);

// The level set make_layer_mac_with_levels needs to rebuild `mac` (empty: the design's own).
std::vector<std::int32_t> layer_level_set(const DesignConfig& design, MacKind kind,
                                          const MacModel& mac);

}  // namespace conloc
