#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "sim/config/sim_config.h"
#include "sim/design/design_registry.h"

namespace conloc {

// One design point of a sweep: a workload and a value for every swept parameter. The configs of
// its designs are built from the spec's base plus `params` (SweepSpec::configs).
struct SweepPoint {
  int index = 0;         // position in the spec's enumeration order, after filtering
  std::string id;        // "p0007": the point's directory under DIR/points/
  std::string workload;  // zoo name or resolved file path
  std::vector<std::pair<std::string, nlohmann::json>> params;  // swept key -> value, axis order
  std::vector<std::string>
      sources;  // where each value comes from, e.g. "s.json: axes.array.rows[2]"
};

// One entry of a spec's "designs": a design as `compare --designs` takes it (a registry name with
// optional @design.KEY=VALUE settings), applied at every point.
struct SweepDesign {
  DesignSpec spec;     // spec.text: as written, the design's name in sweep.csv and its folder
  std::string source;  // "s.json: designs[1]", for errors
};

// A validated sweep specification (docs/sweeps.md). Everything is checked when it is loaded --
// keys, value types and ranges, axis lengths, workloads, designs, filters, and every point's
// cross-field rules -- so a bad spec is rejected before any point runs.
struct SweepSpec {
  std::string path;
  std::string hash;  // of the spec, its base config and the functional flag
  ConfigInput base;  // the base config every point starts from
  std::vector<std::string> workloads;
  std::vector<SweepDesign> designs;
  std::string baseline;  // the designs entry ratios are taken against (default: the last)
  bool functional = false;
  std::vector<std::string> swept_keys;  // every axis and zipped key, in spec order
  std::vector<SweepPoint> points;       // after filters, in enumeration order
  std::size_t enumerated = 0;           // before filters

  // One validated config per design of `p`, in `designs` order: the base, the point's values,
  // then the design's own settings (which win, as in `compare`).
  std::vector<SimConfig> configs(const SweepPoint& p) const;
};

// Points one spec may enumerate (before filters): a guard against runaway cartesian products.
constexpr std::size_t kMaxSweepPoints = 100000;

// Loads and validates a spec. `force_functional` (--functional) overrides the spec's flag. Every
// error is a UserError "<spec>: <json.path>: <problem>; got ...; expected ...".
SweepSpec load_sweep_spec(const std::string& path, bool force_functional);

// The spec format, for `sweep --schema`.
std::string sweep_spec_schema();

}  // namespace conloc
