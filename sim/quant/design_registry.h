#pragma once

#include <optional>
#include <string>
#include <vector>

#include "sim/config/sim_config.h"

namespace conloc {

// Named MAC designs (`compare --designs`): each name stands for the design.* settings that make
// it, applied on top of a base configuration, so every design runs on the same array, buffers and
// clock. One table maps names to settings; a new design is one entry.
//   elp4 .. elp8                  ELP_BSD preset, parallel-term MAC
//   elp4-serial .. elp8-serial    ELP_BSD preset, term-serial MAC
//   elp3v2 .. elp8v2              ELP_BSD v2 (level set chosen for Laplace weights), parallel MAC
//   elp4v2l .. elp6v2l            ELP_BSD v2 with a level set chosen per layer
//   fixed2 .. fixed16             fixed-point multiplier MAC of that weight width
//   elp, fixed                    the base configuration's ELP_BSD or fixed-point design as set
std::vector<std::string> design_names();

// The configuration of a config file and --set overrides with design `name` applied on top,
// checked once with all of them: an override that only makes sense for that design (say
// design.elp.positions for a v2 preset) is accepted, where checking the file and overrides alone
// (with the default design) would refuse it. The design's own settings win over the overrides.
// An unknown name is a UserError naming `source` with the closest known name.
SimConfig load_design_config(const std::optional<std::string>& file,
                             const std::vector<std::string>& overrides, const std::string& name,
                             const std::string& source);

// The registry name of the design a configuration simulates, e.g. "elp5", "elp5-serial",
// "fixed8" ("custom" for a custom ELP_BSD format).
std::string design_label(const SimConfig& cfg);

// The designs `compare` runs when none are named: the configured ELP_BSD design, fixed point of
// the same code width (so a storage-width saving is not read as a format saving), and the
// configured fixed-point design (8-bit by default, the paper's baseline), without duplicates.
std::vector<std::string> default_comparison(const SimConfig& base);

}  // namespace conloc
