#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <unistd.h>

#include "modules/base/error.h"
#include "sim/cli/options.h"
#include "sim/common/file_io.h"
#include "sim/sweep/sweep_results.h"
#include "sim/sweep/sweep_runner.h"
#include "sim/sweep/sweep_spec.h"

namespace conloc {

namespace fs = std::filesystem;

namespace {

// "I/N" with 1 <= I <= N.
void parse_shard(const std::string& text, SweepOptions& o) {
  const auto slash = text.find('/');
  std::size_t used_i = 0, used_n = 0;
  long i = 0, n = 0;
  try {
    if (slash == std::string::npos) throw std::invalid_argument("no slash");
    i = std::stol(text.substr(0, slash), &used_i);
    n = std::stol(text.substr(slash + 1), &used_n);
  } catch (const std::exception&) {
    used_i = 0;
  }
  if (used_i != slash || slash == std::string::npos || used_n != text.size() - slash - 1 || n < 1 ||
      i < 1 || i > n || n > 1000000) {
    throw UserError(field_error("--shard", "", "impossible shard", "\"" + text + "\"",
                                "I/N with 1 <= I <= N, e.g. 1/4"));
  }
  o.shard = static_cast<int>(i);
  o.shards = static_cast<int>(n);
}

std::string absolute(const std::string& p) {
  return fs::absolute(p).lexically_normal().string();
}

std::string self_path() {
  std::error_code ec;
  const auto p = fs::read_symlink("/proc/self/exe", ec);
  return ec ? "conlocnn-sim" : p.string();
}

}  // namespace

int cmd_sweep(const std::vector<std::string>& args) {
  std::string spec_path, shard;
  SweepOptions o;
  int point = -1;
  bool functional = false, list = false, schema = false;
  po::options_description desc("sweep options");
  desc.add_options()("spec", po::value<std::string>(&spec_path), "sweep spec JSON file")(
      "out", out_value(&o.out_dir),
      "output folder (default out/sweep-<spec name>); re-running into it resumes")(
      "jobs,j", po::value<int>(&o.jobs), "worker processes (default: 1)")(
      "shard", po::value<std::string>(&shard),
      "run only shard I of N (points with index % N == I-1), e.g. --shard 2/4")(
      "point", po::value<int>(&point), "run only the point with this index (see --list)")(
      "functional", po::bool_switch(&functional),
      "simulate values and check them bit for bit at every point")(
      "list", po::bool_switch(&list),
      "print the selected points, one line each with the command that runs it")(
      "force", po::bool_switch(&o.force),
      "discard the results of a different spec found in the output folder")(
      "schema", po::bool_switch(&schema), "print the sweep spec format");
  po::positional_options_description pos;
  pos.add("spec", 1);
  po::variables_map vm;
  if (!parse_options("sweep",
                     "SPEC [--out DIR] [-j N] [--shard I/N] [--point K] [--functional] [--list] "
                     "[--force] | --schema",
                     desc, args, vm, &pos)) {
    return kExitOk;
  }
  if (schema) {
    std::cout << sweep_spec_schema();
    return kExitOk;
  }
  if (spec_path.empty()) {
    throw UserError(field_error("sweep", "SPEC", "missing sweep spec file", "",
                                "a JSON file such as configs/sweeps/array-sizes.json"));
  }
  if (o.jobs < 1 || o.jobs > 1024) {
    throw UserError(
        field_error("--jobs", "", "out of range", std::to_string(o.jobs), "integer in [1, 1024]"));
  }
  if (!shard.empty()) parse_shard(shard, o);
  const SweepSpec spec = load_sweep_spec(spec_path, functional);
  if (vm.count("point")) {
    if (point < 0 || point >= static_cast<int>(spec.points.size())) {
      throw UserError(field_error(
          "--point", "", "no such point", std::to_string(point),
          "an index in [0, " + std::to_string(spec.points.size() - 1) + "] (see --list)"));
    }
    o.point = point;
  }
  if (o.out_dir.empty()) o.out_dir = "out/sweep-" + fs::path(spec_path).stem().string();
  if (list) {
    const std::string exe = self_path(), sp = absolute(spec_path), out = absolute(o.out_dir);
    for (const auto& p : spec.points) {
      if (o.point ? p.index != *o.point : p.index % o.shards != o.shard - 1) continue;
      std::string params;
      for (const auto& [k, v] : p.params)
        params += (params.empty() ? "" : " ") + k + "=" + v.dump();
      std::cout << p.index << "\t" << p.id << "\t" << p.workload << "\t" << params << "\t" << exe
                << " sweep " << sp << " --out " << out << " --point " << p.index
                << (functional ? " --functional" : "") << "\n";
    }
    return kExitOk;
  }
  return run_sweep(spec, o);
}

namespace {

// Names, on stderr, the points the merged folder lacks, by the shard that should have run them:
// a shard whose folder was not given, or whose folder is unfinished (a task that failed or was
// cut off), with the command that finishes it.
void report_missing_shards(const SweepManifest& m, const std::string& out, int shards,
                           const std::map<int, std::vector<std::string>>& shard_dirs) {
  std::map<int, std::vector<std::string>> missing;  // shard (0: unknown) -> point ids
  for (std::size_t i = 0; i < m.point_ids.size(); ++i) {
    if (fs::exists(fs::path(out) / "points" / m.point_ids[i] / "point.json")) continue;
    missing[shards > 0 ? static_cast<int>(i % static_cast<std::size_t>(shards)) + 1 : 0].push_back(
        m.point_ids[i]);
  }
  for (const auto& [shard, ids] : missing) {
    std::string list;
    for (std::size_t i = 0; i < ids.size() && i < 8; ++i)
      list += (i ? ", " : "") + ids[i];
    if (ids.size() > 8) list += ", ...";
    const std::string n = std::to_string(ids.size()) + " point" + (ids.size() == 1 ? "" : "s");
    if (shard == 0) {
      std::fprintf(stderr, "sweep-merge: missing %s (%s): run them with `sweep %s --out DIR`\n",
                   n.c_str(), list.c_str(), m.spec_path.c_str());
      continue;
    }
    const std::string which = std::to_string(shard) + "/" + std::to_string(shards);
    const auto it = shard_dirs.find(shard);
    const std::string where = it == shard_dirs.end()
                                  ? "no folder of it was given"
                                  : "its folder " + it->second.front() + " is unfinished";
    std::fprintf(stderr,
                 "sweep-merge: shard %s is missing %s (%s): %s; finish it with `sweep %s "
                 "--shard %s --out %s` and merge again\n",
                 which.c_str(), n.c_str(), list.c_str(), where.c_str(), m.spec_path.c_str(),
                 which.c_str(), it == shard_dirs.end() ? "DIR" : it->second.front().c_str());
  }
}

}  // namespace

int cmd_sweep_merge(const std::vector<std::string>& args) {
  std::vector<std::string> dirs;
  std::string out;
  po::options_description desc("sweep-merge options");
  desc.add_options()("dirs", po::value<std::vector<std::string>>(&dirs)->composing(),
                     "shard output folders")("out", out_value(&out),
                                             "merged output folder (required)");
  po::positional_options_description pos;
  pos.add("dirs", -1);
  po::variables_map vm;
  if (!parse_options("sweep-merge", "--out DIR SHARD_DIR...", desc, args, vm, &pos)) {
    return kExitOk;
  }
  if (out.empty()) throw UserError(field_error("--out", "", "missing", "", "the merged folder"));
  if (dirs.empty()) {
    throw UserError(field_error("sweep-merge", "SHARD_DIR", "no shard folders given", "",
                                "one or more sweep output folders"));
  }
  // Every shard must come from the same spec. The shards' count, where the folders say it (the
  // first one's; a folder of a whole run or of single points says none).
  std::optional<SweepManifest> m;
  std::map<int, std::vector<std::string>> shard_dirs;  // shard -> the folders given for it
  int shards = 0;
  for (const auto& d : dirs) {
    const auto md = SweepManifest::read(d);
    if (!md) throw UserError(d + ": not a sweep output folder (no sweep-manifest.json)");
    if (m && md->spec_hash != m->spec_hash) {
      throw UserError(d + ": results of a different sweep spec (" + md->spec_path + ", hash " +
                      md->spec_hash + ") than " + dirs.front() + " (" + m->spec_path + ", hash " +
                      m->spec_hash + "); refusing to merge");
    }
    if (!m) m = md;
    if (md->shards > 0 && shards == 0) shards = md->shards;
    if (md->shards == shards && shards > 0) shard_dirs[md->shard].push_back(d);
  }
  if (const auto mo = SweepManifest::read(out); mo && mo->spec_hash != m->spec_hash) {
    throw UserError(out + ": holds results of a different sweep spec; choose another --out");
  }
  m->shard = m->shards = 0;  // the merged folder is not a shard
  ensure_directory(out + "/points");
  write_file_atomic(out + "/sweep-manifest.json", m->to_json().dump(1) + "\n");
  // Copy each point folder (first shard that has it) into place as a whole.
  for (const auto& id : m->point_ids) {
    const fs::path dst = fs::path(out) / "points" / id;
    if (fs::exists(dst / "point.json")) continue;
    for (const auto& d : dirs) {
      const fs::path src = fs::path(d) / "points" / id;
      if (!fs::exists(src / "point.json")) continue;
      const fs::path tmp = dst.string() + ".tmp-" + std::to_string(::getpid());
      std::error_code ec;
      fs::remove_all(tmp, ec);
      fs::copy(src, tmp, fs::copy_options::recursive, ec);
      if (!ec) fs::rename(tmp, dst, ec);
      if (ec) throw UserError(dst.string() + ": cannot copy the point: " + ec.message());
      break;
    }
  }
  const SweepTable t = write_sweep_table(*m, m->point_ids, {out}, out);
  report_missing_shards(*m, out, shards, shard_dirs);
  std::printf("sweep-merge: %zu of %zu points from %zu folders into %s/sweep.csv (%zu failed%s)\n",
              t.points, m->point_ids.size(), dirs.size(), out.c_str(), t.failed,
              t.missing ? (", " + std::to_string(t.missing) + " missing").c_str() : "");
  return t.failed > 0 || t.missing > 0 ? kExitSimulationFailure : kExitOk;
}

}  // namespace conloc
