#include "sim/sweep/sweep_results.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <signal.h>
#include <unistd.h>

#include "modules/base/error.h"
#include "sim/common/file_io.h"
#include "sim/common/stopwatch.h"
#include "sim/config/param_registry.h"
#include "sim/report/run_report.h"

namespace conloc {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

const char* kManifest = "sweep-manifest.json";

std::string point_dir(const std::string& dir, const std::string& id) {
  return dir + "/points/" + id;
}

// One row of sweep.csv: a point and one design's totals.
struct SweepRow {
  const PointRecord* point;
  std::string design;  // the spec's designs entry
  json result;         // the design's total columns; null when the point failed
  json ratios;       // {"energy", "latency", "edp"}: over the baseline at this point, when both fit
  json same_run_as;  // the point whose run this is, when another point simulated it
  std::string status, error;
};

ColumnTable<SweepRow> sweep_columns(const SweepManifest& m) {
  ColumnTable<SweepRow> t = {
      {"point", "-", [](const SweepRow& r) { return json(r.point->id); }},
      {"workload", "-", [](const SweepRow& r) { return json(r.point->workload); }},
  };
  for (const auto& k : m.swept_keys) {
    const ParamSpec* spec = sim_params().find(k);
    t.push_back({k, spec ? spec->unit : "-",
                 [k](const SweepRow& r) { return r.point->params.value(k, json(nullptr)); }});
  }
  t.push_back({"design_spec", "-", [](const SweepRow& r) { return json(r.design); }});
  for (const auto& c : total_columns()) {
    if (c.name == "workload") continue;
    const std::string name = c.name;
    t.push_back({name, c.unit, [name](const SweepRow& r) {
                   return r.result.is_object() ? r.result.value(name, json(nullptr))
                                               : json(nullptr);
                 }});
  }
  const std::string baseline = m.baseline;
  t.push_back({"baseline", "-", [baseline](const SweepRow&) { return json(baseline); }});
  for (const char* k : {"energy", "latency", "edp"}) {
    const std::string key = k;
    t.push_back({key + "_vs_baseline", "-", [key](const SweepRow& r) {
                   return r.ratios.is_object() ? r.ratios[key] : json(nullptr);
                 }});
  }
  t.push_back({"same_run_as", "-", [](const SweepRow& r) { return r.same_run_as; }});
  t.push_back({"status", "-", [](const SweepRow& r) { return json(r.status); }});
  t.push_back({"error", "-",
               [](const SweepRow& r) { return r.error.empty() ? json(nullptr) : json(r.error); }});
  return t;
}

StageSeconds seconds_from(const json& j) {
  StageSeconds s;
  s.compile = j.value("compile", 0.0);
  s.plan = j.value("plan", 0.0);
  s.simulate = j.value("simulate", 0.0);
  s.write = j.value("write", 0.0);
  return s;
}

}  // namespace

json SweepManifest::to_json() const {
  json j = {{"spec", spec_path},     {"spec_hash", spec_hash}, {"swept_keys", swept_keys},
            {"designs", designs},    {"baseline", baseline},   {"points", point_ids.size()},
            {"point_ids", point_ids}};
  if (shards > 0) j["shard"] = {shard, shards};
  return j;
}

SweepManifest SweepManifest::from_spec(const SweepSpec& s) {
  SweepManifest m;
  m.spec_path = s.path;
  m.spec_hash = s.hash;
  m.swept_keys = s.swept_keys;
  for (const SweepDesign& d : s.designs)
    m.designs.push_back(d.spec.text);
  m.baseline = s.baseline;
  for (const auto& p : s.points)
    m.point_ids.push_back(p.id);
  return m;
}

std::optional<SweepManifest> SweepManifest::read(const std::string& dir) {
  const std::string path = dir + "/" + kManifest;
  if (!fs::exists(path)) return std::nullopt;
  const json j = parse_json_text(read_text_file(path), path);
  try {
    SweepManifest m;
    m.spec_path = j.at("spec").get<std::string>();
    m.spec_hash = j.at("spec_hash").get<std::string>();
    m.swept_keys = j.at("swept_keys").get<std::vector<std::string>>();
    m.designs = j.at("designs").get<std::vector<std::string>>();
    m.baseline = j.at("baseline").get<std::string>();
    m.point_ids = j.at("point_ids").get<std::vector<std::string>>();
    if (j.contains("shard")) {
      const auto s = j.at("shard").get<std::vector<int>>();
      if (s.size() != 2 || s[1] < 1 || s[0] < 1 || s[0] > s[1]) {
        throw UserError(path + ": field \"shard\": expected [I, N] with 1 <= I <= N");
      }
      m.shard = s[0];
      m.shards = s[1];
    }
    return m;
  } catch (const json::exception& e) {
    throw UserError(path + ": not a sweep manifest: " + e.what());
  }
}

json PointRecord::to_json() const {
  return {{"id", id},
          {"workload", workload},
          {"params", params},
          {"status", status},
          {"error", error.empty() ? json(nullptr) : json(error)},
          {"results", results},
          {"seconds",
           {{"compile", seconds.compile},
            {"plan", seconds.plan},
            {"simulate", seconds.simulate},
            {"write", seconds.write}}}};
}

PointRecord PointRecord::from_json(const json& j, const std::string& source) {
  try {
    PointRecord r;
    r.id = j.at("id").get<std::string>();
    r.workload = j.at("workload").get<std::string>();
    r.params = j.at("params");
    r.status = j.at("status").get<std::string>();
    r.error = j.at("error").is_null() ? "" : j.at("error").get<std::string>();
    r.results = j.at("results").get<std::vector<json>>();
    r.seconds = seconds_from(j.at("seconds"));
    return r;
  } catch (const json::exception& e) {
    throw UserError(source + ": not a sweep point record: " + e.what());
  }
}

PointRecord point_record(const SweepPoint& p, const std::vector<PointDesign>& designs) {
  PointRecord r;
  r.id = p.id;
  r.workload = p.workload;
  r.params = json::object();
  for (const auto& [k, v] : p.params)
    r.params[k] = v;
  r.status = "ok";
  for (const PointDesign& d : designs) {
    if (!d.result) {
      r.results.push_back({{"design_spec", d.design},
                           {"same_run_as", {{"point", d.same_point}, {"design", d.same_design}}}});
      continue;
    }
    const RunResult& res = *d.result;
    json j = to_json_object(total_columns(), res);
    j["design_spec"] = d.design;
    r.results.push_back(std::move(j));
    if (res.functional && res.feasible() && res.mismatches != 0) {
      r.status = "failed";
      r.error = d.design + ": accelerator outputs differ from the integer reference (" +
                std::to_string(res.mismatches) + " elements)";
    }
  }
  return r;
}

PointRecord failed_point(const SweepPoint& p, const std::string& error, const StageSeconds& s) {
  PointRecord r = point_record(p, {});
  r.status = "failed";
  r.error = error;
  r.seconds = s;
  return r;
}

std::string design_dir_name(const std::string& design) {
  std::string n = design;
  std::replace(n.begin(), n.end(), '/', '_');
  return n;
}

void write_point(const std::string& dir, PointRecord rec, const std::vector<PointDesign>& designs) {
  const auto t0 = std::chrono::steady_clock::now();
  const std::string final_dir = point_dir(dir, rec.id);
  const std::string tmp = final_dir + ".tmp-" + std::to_string(::getpid());
  std::error_code ec;
  fs::remove_all(tmp, ec);
  ensure_directory(tmp);
  for (const PointDesign& pd : designs) {
    if (!pd.result) continue;
    const RunResult& r = *pd.result;
    const std::string d = tmp + "/" + design_dir_name(pd.design);
    ensure_directory(d);
    write_file_atomic(d + "/summary.json", summary_json(r).dump(2) + "\n");
    write_file_atomic(d + "/config.json", r.config.resolved.dump(2) + "\n");
    if (r.feasible()) write_file_atomic(d + "/layers.csv", to_csv(layer_columns(), r.rows));
  }
  rec.seconds.write = seconds_since(t0);
  write_file_atomic(tmp + "/point.json", rec.to_json().dump(1) + "\n");
  // A re-run of a failed point replaces it as a whole.
  fs::remove_all(final_dir, ec);
  fs::rename(tmp, final_dir, ec);
  if (ec) throw UserError(final_dir + ": cannot move the point into place: " + ec.message());
}

std::optional<PointRecord> read_point(const std::string& dir, const std::string& id) {
  const std::string path = point_dir(dir, id) + "/point.json";
  if (!fs::exists(path)) return std::nullopt;
  return PointRecord::from_json(parse_json_text(read_text_file(path), path), path);
}

void remove_stale_points(const std::string& dir) {
  std::error_code ec;
  const fs::path points = fs::path(dir) / "points";
  if (!fs::is_directory(points, ec)) return;
  for (const auto& e : fs::directory_iterator(points, ec)) {
    const std::string name = e.path().filename().string();
    const auto at = name.rfind(".tmp-");
    if (at == std::string::npos) continue;
    const long pid = std::strtol(name.c_str() + at + 5, nullptr, 10);
    // A worker of a concurrent run into the same DIR may still be writing it.
    if (pid > 0 && ::kill(static_cast<pid_t>(pid), 0) == 0) continue;
    fs::remove_all(e.path(), ec);
  }
}

std::vector<std::string> sweep_csv_columns(const SweepManifest& m) {
  return csv_column_names(sweep_columns(m));
}

SweepTable write_sweep_table(const SweepManifest& m, const std::vector<std::string>& ids,
                             const std::vector<std::string>& dirs, const std::string& out_dir) {
  SweepTable t;
  std::map<std::string, PointRecord> records;  // by id: the points of the table, and the
                                               // points whose runs they name
  auto find = [&](const std::string& id) -> const PointRecord* {
    auto it = records.find(id);
    if (it != records.end()) return &it->second;
    for (const auto& d : dirs) {
      if (auto rec = read_point(d, id)) return &records.emplace(id, std::move(*rec)).first->second;
    }
    return nullptr;
  };
  std::vector<const PointRecord*> table;
  for (const auto& id : ids) {
    const PointRecord* rec = find(id);
    if (!rec) {
      ++t.missing;
      continue;
    }
    table.push_back(rec);
  }
  std::vector<SweepRow> rows;
  for (const PointRecord* rec : table) {
    ++t.points;
    if (rec->status != "ok") ++t.failed;
    std::vector<SweepRow> point_rows;
    if (rec->results.empty()) {
      for (const auto& d : m.designs)
        point_rows.push_back({rec, d, nullptr, nullptr, nullptr, rec->status, rec->error});
    }
    for (const json& r : rec->results) {
      SweepRow row{rec, r.value("design_spec", ""), r, nullptr, nullptr, rec->status, rec->error};
      // The run another point (or design) simulated: its totals, naming that point (following
      // a point that itself names another, as an earlier invocation may have recorded it).
      for (int hops = 0; row.result.is_object() && row.result.contains("same_run_as"); ++hops) {
        const std::string point = row.result["same_run_as"]["point"];
        const std::string design = row.result["same_run_as"]["design"];
        row.same_run_as = point + "/" + design_dir_name(design);
        row.result = nullptr;
        const PointRecord* owner = hops < 64 ? find(point) : nullptr;
        if (owner) {
          for (const json& o : owner->results) {
            if (o.value("design_spec", "") == design) row.result = o;
          }
        }
        if (!owner || owner->status != "ok" || row.result.is_null()) {
          row.result = nullptr;
          row.status = "failed";
          row.error = "the same run as " + design + " at " + point + ", which " +
                      (owner ? "failed: " + owner->error : std::string("is missing"));
        }
      }
      point_rows.push_back(std::move(row));
    }
    // Ratios to the baseline at this point, where both fit.
    const SweepRow* base = nullptr;
    for (const SweepRow& r : point_rows) {
      if (r.design == m.baseline && r.result.is_object() && r.result.value("feasible", false))
        base = &r;
    }
    bool any_infeasible = false;
    for (SweepRow& r : point_rows) {
      const bool fits = r.result.is_object() && r.result.value("feasible", false);
      any_infeasible = any_infeasible || (r.result.is_object() && !fits);
      if (!base || !fits) continue;
      const json& b = base->result;
      auto ratio = [](double x, double y) { return y > 0 ? json(x / y) : json(nullptr); };
      const double e = r.result.value("energy_pj", 0.0), l = r.result.value("latency_s", 0.0);
      const double be = b.value("energy_pj", 0.0), bl = b.value("latency_s", 0.0);
      r.ratios = {
          {"energy", ratio(e, be)}, {"latency", ratio(l, bl)}, {"edp", ratio(e * l, be * bl)}};
    }
    t.infeasible += any_infeasible;
    for (SweepRow& r : point_rows)
      rows.push_back(std::move(r));
  }
  const auto cols = sweep_columns(m);
  write_file_atomic(out_dir + "/sweep.csv", to_csv(cols, rows));
  json cols_json = json::array();
  for (const auto& c : cols)
    cols_json.push_back({{"name", c.name}, {"unit", c.unit}});
  const json doc = {{"spec", m.spec_path},
                    {"spec_hash", m.spec_hash},
                    {"complete", t.missing == 0},
                    {"points", ids.size()},
                    {"points_done", t.points},
                    {"points_failed", t.failed},
                    {"points_infeasible", t.infeasible},
                    {"columns", cols_json},
                    {"rows", to_json_array(cols, rows)}};
  write_file_atomic(out_dir + "/sweep.json", doc.dump(1) + "\n");
  return t;
}

}  // namespace conloc
