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
//   elp3v2l .. elp8v2l            ELP_BSD v2 with a level set chosen per layer
//   fixed2 .. fixed16             fixed-point multiplier MAC of that weight width
//   elp, fixed                    the base configuration's ELP_BSD or fixed-point design as set
std::vector<std::string> design_names();

// A design as a user names it: a registry name and, after each '@', a design.* setting of its
// own, e.g. "fixed8@design.accumulator_bits=24" or "elp6v2@design.elp.positions=8".
struct DesignSpec {
  std::string text;                                              // as written
  std::string name;                                              // the registry name
  std::vector<std::pair<std::string, nlohmann::json>> settings;  // values parsed as by --set
};

// The designs of a comma-separated list (compare --designs, accuracy --formats): an item with
// '=' but no '@' continues the setting before it (a design.layer_formats value has commas), so
// "fixed8@design.layer_formats=conv1=fixed4,conv2=fixed3,elp5" is two designs.
std::vector<std::string> split_design_list(const std::string& text);

// Parses `text`; an unknown name (with the closest known one), a setting that is not
// "design.KEY=VALUE" or sets design.mac is a UserError naming `source`.
DesignSpec parse_design_spec(const std::string& text, const std::string& source);

// The assignments that make design `d` (its registry settings, then its own), each naming
// `source`, to apply on top of a base configuration.
std::vector<ParamAssignment> design_assignments(const DesignSpec& d, const std::string& source);

// Refuses (UserError naming `source`) a setting of `d` that does not apply to the design `cfg`
// resolved to: design.elp.* on a fixed-point design, design.fixed.* on an ELP_BSD one.
void check_design_settings(const DesignSpec& d, const SimConfig& cfg, const std::string& source);

// The configuration of a config file and --set overrides with design `spec` (a registry name,
// optionally with "@design.KEY=VALUE" or "@mapping.KEY=VALUE" settings) applied on top, checked
// once with all of them: an override that only makes sense for that design (say
// design.elp.positions for a v2 preset) is accepted, where checking the file and overrides alone
// (with the default design) would refuse it. The design's own settings win over the overrides. An
// unknown name is a UserError naming `source` with the closest known name.
SimConfig load_design_config(const std::optional<std::string>& file,
                             const std::vector<std::string>& overrides, const std::string& spec,
                             const std::string& source);

// The registry name of the design a configuration simulates, e.g. "elp5", "elp5-serial",
// "fixed8" ("custom" for a custom ELP_BSD format).
std::string design_label(const SimConfig& cfg);

// The label of design `d` resolved to `cfg`: design_label(cfg), then `d`'s own settings as
// written ("fixed8@design.accumulator_bits=24"), so two designs that differ only in them have
// different labels (folder names, table columns).
std::string design_label(const SimConfig& cfg, const DesignSpec& d);

// The folder name of a design's files (`compare`): its label with '%' and '/' percent-encoded,
// since a label may hold a layer's own compensation ("conv3=fixed4/both"), and one folder per
// label.
std::string design_folder(const std::string& label);

// The designs `compare` runs when none are named: the configured ELP_BSD design, fixed point of
// the same code width (so a storage-width saving is not read as a format saving), and the
// configured fixed-point design (8-bit by default, the paper's baseline), without duplicates.
std::vector<std::string> default_comparison(const SimConfig& base);

}  // namespace conloc
