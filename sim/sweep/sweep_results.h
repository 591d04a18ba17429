#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "sim/report/columns.h"
#include "sim/run/run_result.h"
#include "sim/sweep/sweep_spec.h"

namespace conloc {

// What a sweep directory holds, written first (DIR/sweep-manifest.json): the spec it belongs to,
// so a changed spec or shards of different specs are refused.
struct SweepManifest {
  std::string spec_path;
  std::string spec_hash;
  std::vector<std::string> swept_keys;
  std::vector<std::string> designs;    // the spec's designs entries, as written
  std::string baseline;                // the one the ratio columns are taken against
  std::vector<std::string> point_ids;  // every point of the spec, in order
  // The `--shard I/N` of the run that wrote the folder (0 / 0: every point), so a merge can
  // name the shards whose points are missing.
  int shard = 0, shards = 0;

  nlohmann::json to_json() const;
  static SweepManifest from_spec(const SweepSpec& s);
  // Reads DIR's manifest; nullopt when there is none. A malformed one is a UserError.
  static std::optional<SweepManifest> read(const std::string& dir);
};

// One finished point as stored in DIR/points/<id>/point.json.
struct PointRecord {
  std::string id;
  std::string workload;
  nlohmann::json params;  // swept key -> value
  std::string status;     // "ok" or "failed"
  std::string error;      // why it failed
  // Per design: the run's total columns and "design_spec", or {"design_spec", "same_run_as":
  // {"point", "design"}} for a run another point (or design) of this invocation simulated.
  std::vector<nlohmann::json> results;
  StageSeconds seconds;

  nlohmann::json to_json() const;
  static PointRecord from_json(const nlohmann::json& j, const std::string& source);
};

// One design of a point: simulated here (`result`), or the very run (the same configuration but
// for settings the design does not read) that another point's or design's was.
struct PointDesign {
  std::string design;  // the spec's designs entry
  const RunResult* result = nullptr;
  std::string same_point, same_design;  // when result is null
};

// The record of a simulated point: every design's totals, or where its run is.
PointRecord point_record(const SweepPoint& p, const std::vector<PointDesign>& designs);
// The record of a point that failed before or during simulation.
PointRecord failed_point(const SweepPoint& p, const std::string& error, const StageSeconds& s);

// Writes a point's record and the per-design files of the designs simulated here (summary.json,
// config.json, layers.csv under <design>/) into DIR/points/<id> as a whole: into a temporary
// folder, then renamed into place. The record's write time is measured here.
void write_point(const std::string& dir, PointRecord rec, const std::vector<PointDesign>& designs);

// The folder a design's files are in under a point's folder (its entry, '/' replaced).
std::string design_dir_name(const std::string& design);

// DIR/points/<id>/point.json when it exists.
std::optional<PointRecord> read_point(const std::string& dir, const std::string& id);

// Removes temporary point folders left behind by killed workers (their process is gone).
void remove_stale_points(const std::string& dir);

// sweep.csv and sweep.json over the points `ids` found in `dirs` (the first that has a point
// wins): one row per point and design, with ratios to the manifest's baseline at the same point;
// a design whose run another point simulated shows that run, naming the point. Returns the
// numbers of points done, missing, failed and with an infeasible design.
struct SweepTable {
  std::size_t points = 0, missing = 0, failed = 0, infeasible = 0;
};
SweepTable write_sweep_table(const SweepManifest& m, const std::vector<std::string>& ids,
                             const std::vector<std::string>& dirs, const std::string& out_dir);

// The sweep.csv columns for a manifest's swept keys.
std::vector<std::string> sweep_csv_columns(const SweepManifest& m);

}  // namespace conloc
