#include "sim/sweep/sweep_runner.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <future>
#include <map>
#include <memory>
#include <set>
#include <sys/wait.h>
#include <thread>
#include <tuple>
#include <unistd.h>
#include <utility>

#include "modules/base/error.h"
#include "sim/common/file_io.h"
#include "sim/common/heap.h"
#include "sim/common/stopwatch.h"
#include "sim/energy/energy_model.h"
#include "sim/rtl/mac_rtl.h"
#include "sim/run/pipeline.h"
#include "sim/run/prepare.h"
#include "sim/sweep/sweep_results.h"
#include "sim/workload/workload.h"

namespace conloc {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

volatile std::sig_atomic_t g_stop = 0;
void on_signal(int) {
  g_stop = 1;
}

// 1. The output folder: a manifest naming the spec, checked against the spec being run.
void prepare_dir(const SweepSpec& spec, const SweepOptions& opt) {
  ensure_directory(opt.out_dir);
  std::optional<SweepManifest> old;
  bool unreadable = false;  // a manifest of another version of the tool, or damaged
  try {
    old = SweepManifest::read(opt.out_dir);
  } catch (const UserError& e) {
    if (!opt.force) {
      throw UserError(std::string(e.what()) +
                      " (written by another version of conlocnn-sim?); use another --out, or "
                      "--force to discard the old results");
    }
    unreadable = true;
  }
  if (unreadable || (old && old->spec_hash != spec.hash)) {
    if (!opt.force) {
      throw UserError(opt.out_dir + ": holds results of a different sweep spec (" + old->spec_path +
                      ", hash " + old->spec_hash + "; now " + spec.path + ", hash " + spec.hash +
                      "); use another --out, or --force to discard the old results");
    }
    std::error_code ec;
    fs::remove_all(fs::path(opt.out_dir) / "points", ec);
    for (const char* f : {"sweep.csv", "sweep.json", "timing.json"})
      fs::remove(fs::path(opt.out_dir) / f, ec);
  }
  SweepManifest now = SweepManifest::from_spec(spec);
  if (opt.shards > 1 && !opt.point) {
    now.shard = opt.shard;
    now.shards = opt.shards;
  }
  if (unreadable || !old || old->spec_hash != spec.hash ||
      (!opt.point && (old->shard != now.shard || old->shards != now.shards))) {
    write_file_atomic(opt.out_dir + "/sweep-manifest.json", now.to_json().dump(1) + "\n");
  }
  // Single-point runs may share DIR with workers on other hosts, whose pids mean nothing here.
  if (!opt.point) {
    remove_stale_points(opt.out_dir);
    remove_stale_temp_files(opt.out_dir);
  }
}

// Shared, read-only state the parent prepares and the workers inherit: loaded workloads,
// compiled networks and energy models, each made once and dropped when no pending point needs
// it any more.
class SharedWork {
 public:
  explicit SharedWork(const SweepSpec& spec) : spec_(spec) {}

  void expect(const std::string& key) { ++pending_[key]; }
  void done(const std::string& key) {
    if (--pending_[key] != 0) return;
    compiled_.erase(key);
    prices_.erase(key);
  }

  // The MAC prices of network `key` (compiled) on `cfg`'s array (mac_prices_key), priced here
  // once for every worker that needs them; adds the seconds it took to `seconds`.
  const std::vector<LayerMacEnergy>& prices(const std::string& key, const CompiledNetwork& cn,
                                            const SimConfig& cfg, const EnergyModel& em,
                                            double& seconds) {
    auto& p = prices_[key][mac_prices_key(cfg)];
    if (!p) {
      const auto t0 = Clock::now();
      p = std::make_unique<std::vector<LayerMacEnergy>>(
          mac_energies(cn, cfg, em, mac_circuit_fnv1a64(cfg)));
      seconds += seconds_since(t0);
    }
    return *p;
  }

  // The key of the network a point's design needs (network_key: exactly what it depends on).
  std::string key(const SweepPoint& p, const SimConfig& cfg) {
    return network_key(workload(p.workload, cfg.seed), cfg, spec_.functional);
  }

  const CompiledNetwork& compiled(const std::string& key, const SweepPoint& p, const SimConfig& cfg,
                                  double& seconds) {
    auto it = compiled_.find(key);
    if (it != compiled_.end()) return *it->second;
    const auto t0 = Clock::now();
    auto cn = std::make_unique<CompiledNetwork>(
        prepare_network(workload(p.workload, cfg.seed), cfg, spec_.functional));
    release_free_memory();  // before workers are forked from this process
    seconds += seconds_since(t0);
    ++compiles_;
    return *(compiled_[key] = std::move(cn));
  }

  // The networks of `needs` (key, point, configuration) not yet compiled, compiled side by side
  // when there are two or more (a compile's or a cache read's work is mostly one thread's, and
  // no worker starts before they are ready); returns the seconds it took. One that fails is left
  // to compiled(), which fails it again for its point.
  double prefetch(
      const std::vector<std::tuple<std::string, const SweepPoint*, const SimConfig*>>& needs) {
    struct Job {
      std::string key;
      const Workload* w;
      const SimConfig* cfg;
      std::future<CompiledNetwork> network;
    };
    std::vector<Job> jobs;
    std::set<std::string> seen;
    for (const auto& [key, p, cfg] : needs) {
      if (compiled_.count(key) || !seen.insert(key).second) continue;
      try {
        jobs.push_back({key, &workload(p->workload, cfg->seed), cfg, {}});
      } catch (const std::exception&) {
        // compiled() reports it for its point
      }
    }
    if (jobs.size() < 2) return 0.0;
    const auto t0 = Clock::now();
    // As many at a time as the machine has cores: more would hold more compiles' working memory
    // at once for no speed.
    const std::size_t at_once = std::max(2u, std::thread::hardware_concurrency());
    for (std::size_t first = 0; first < jobs.size(); first += at_once) {
      const std::size_t last = std::min(jobs.size(), first + at_once);
      for (std::size_t i = first; i < last; ++i) {
        jobs[i].network = std::async(std::launch::async, [&j = jobs[i], this] {
          return prepare_network(*j.w, *j.cfg, spec_.functional);
        });
      }
      for (std::size_t i = first; i < last; ++i) {
        try {
          compiled_[jobs[i].key] = std::make_unique<CompiledNetwork>(jobs[i].network.get());
          ++compiles_;
        } catch (const std::exception&) {
          // compiled() fails it again, for its point
        }
      }
    }
    release_free_memory();  // before workers are forked from this process
    return seconds_since(t0);
  }

  // Networks compiled so far (each weight format once while points need it).
  int compiles() const { return compiles_; }

  const EnergyModel& energy(const std::string& table_path) {
    auto& e = energy_[table_path];
    if (!e) e = std::make_unique<EnergyModel>(EnergyTable::load(table_path));
    return *e;
  }

 private:
  const Workload& workload(const std::string& name, std::uint64_t seed) {
    auto& w = workloads_[{name, seed}];
    if (!w) w = std::make_unique<Workload>(load_workload(name, seed));
    return *w;
  }

  const SweepSpec& spec_;
  std::map<std::pair<std::string, std::uint64_t>, std::unique_ptr<Workload>> workloads_;
  std::map<std::string, std::unique_ptr<CompiledNetwork>> compiled_;
  std::map<std::string, std::map<std::string, std::unique_ptr<const std::vector<LayerMacEnergy>>>>
      prices_;  // by network key, then mac_prices_key
  std::map<std::string, int> pending_;
  std::map<std::string, std::unique_ptr<EnergyModel>> energy_;
  int compiles_ = 0;
};

// What a design's run at a point depends on: the workload and the resolved configuration, less
// the other MAC kind's design settings (a fixed-point design does not read design.elp.*). Two
// (point, design) pairs with the same key are one run, simulated once.
std::string run_key(const SweepPoint& p, const SimConfig& cfg) {
  nlohmann::json c = cfg.resolved;
  c["design"].erase(cfg.design.mac == MacKind::ElpBsd ? "fixed" : "elp");
  return p.workload + "\n" + c.dump();
}

// A worker's exit code when a batch of several points failed.
constexpr int kBatchFailed = 4;

// A point to simulate in a worker: its designs' configurations and compiled networks (null for
// a design another point or design simulates), and its record's designs.
struct PointWork {
  const SweepPoint* point;
  const std::vector<SimConfig>* cfgs;
  std::vector<const CompiledNetwork*> cns;
  std::vector<PointDesign> designs;
  double compile_s = 0;
  std::vector<const std::vector<LayerMacEnergy>*> macs;  // per design with a network
  double pricing_s = 0;  // the parent's pricing of them (part of the plan stage)
};

// 2. A batch of points, in a worker process: plan every design of every point, simulate them all
//    side by side in one kernel (the kernel starts once per process, and a fresh process pays
//    for its first plan's memory: a batch shares both), write each point.
[[noreturn]] void worker(std::vector<PointWork> batch, bool functional, const EnergyModel& em,
                         const std::string& dir) {
  use_own_heap();
  int code = 0;
  std::vector<RunRequest> req;
  std::vector<std::pair<std::size_t, std::size_t>> of;  // the point and design each request is
  for (std::size_t b = 0; b < batch.size(); ++b) {
    for (std::size_t i = 0; i < batch[b].cns.size(); ++i) {
      if (!batch[b].cns[i]) continue;
      req.push_back({&(*batch[b].cfgs)[i], batch[b].cns[i], functional, nullptr, batch[b].macs[i]});
      of.push_back({b, i});
    }
  }
  try {
    // Fault injection for the suite (tests/e2e/sweep_test.sh batch-failure): a simulation that
    // fails at a point of the batch.
    if (const char* id = std::getenv("CONLOCNN_SWEEP_FAIL_POINT")) {
      for (const PointWork& w : batch)
        if (w.point->id == id) throw SimulationError("injected failure at point " + w.point->id);
    }
    const auto results = run_simulations(req, em);
    std::vector<StageSeconds> secs(batch.size());
    for (std::size_t k = 0; k < results.size(); ++k) {
      const auto [b, i] = of[k];
      batch[b].designs[i].result = &results[k];
      secs[b].plan += results[k].seconds.plan + std::exchange(batch[b].pricing_s, 0.0);
      // One kernel simulated the batch: each point is charged its share.
      secs[b].simulate = results[k].seconds.simulate / static_cast<double>(batch.size());
    }
    for (std::size_t b = 0; b < batch.size(); ++b) {
      PointRecord rec = point_record(*batch[b].point, batch[b].designs);
      secs[b].compile = batch[b].compile_s;
      rec.seconds = secs[b];
      write_point(dir, std::move(rec), batch[b].designs);
    }
  } catch (const std::exception& e) {
    // Which point failed is not known: the parent runs each again alone.
    if (batch.size() > 1) ::_exit(kBatchFailed);
    try {
      StageSeconds s;
      s.compile = batch.front().compile_s;
      write_point(dir, failed_point(*batch.front().point, e.what(), s), {});
    } catch (const std::exception&) {
      code = 3;
    }
  }
  std::fflush(nullptr);
  ::_exit(code);
}

std::string describe_exit(int status) {
  if (WIFSIGNALED(status)) return "worker killed by signal " + std::to_string(WTERMSIG(status));
  return "worker exited with code " + std::to_string(WEXITSTATUS(status)) +
         " before recording the point";
}

// 3. Progress: a bar on a terminal, plain lines otherwise.
class Progress {
 public:
  Progress(std::size_t total, std::size_t skipped)
      : total_(total),
        done_(skipped),
        tty_(::isatty(STDOUT_FILENO)),
        t0_(Clock::now()),
        base_(skipped) {}
  void point_done(bool failed) {
    ++done_;
    failed_ += failed;
    show(false);
  }
  void finish() { show(true); }

 private:
  void show(bool last) {
    const double el = seconds_since(t0_);
    const std::size_t ran = done_ - base_;
    const double eta = ran ? el / ran * static_cast<double>(total_ - done_) : 0.0;
    char line[160];
    if (tty_) {
      const int width = 30;
      const int fill = total_ ? static_cast<int>(width * done_ / total_) : width;
      std::snprintf(line, sizeof line, "\r[%s%s] %zu/%zu points, %zu failed, ETA %.0f s   ",
                    std::string(static_cast<std::size_t>(fill), '#').c_str(),
                    std::string(static_cast<std::size_t>(width - fill), '.').c_str(), done_, total_,
                    failed_, eta);
      std::fputs(line, stdout);
      if (last) std::fputs("\n", stdout);
    } else {
      // Every tenth of the way, and once at the end.
      const std::size_t step = std::max<std::size_t>(1, total_ / 10);
      if (done_ == printed_ || (!last && done_ % step != 0 && done_ != total_)) return;
      printed_ = done_;
      std::snprintf(line, sizeof line, "sweep: %zu/%zu points done, %zu failed, ETA %.0f s\n",
                    done_, total_, failed_, eta);
      std::fputs(line, stdout);
    }
    std::fflush(stdout);
  }
  std::size_t total_, done_, failed_ = 0, printed_ = static_cast<std::size_t>(-1);
  bool tty_;
  Clock::time_point t0_;
  std::size_t base_;
};

// A selected point still to do, with its designs' configurations.
struct Task {
  const SweepPoint* point;
  std::vector<SimConfig> cfgs;
  std::vector<std::string> keys;     // network keys, of the designs simulated here
  std::vector<PointDesign> designs;  // per design: simulated here, or where its run is
  std::string planning;              // planning_fingerprint of its first design (pipeline.h)
  std::size_t planning_rank = 0;     // the first task of its networks and planning, in spec order
};

// Each distinct run once: the first selected point (in spec order) that needs a run simulates
// it; a later point, or another design of the same point, records it as the same run (a baseline
// does not change with an ELP_BSD-only axis, say). Points that share compiled networks run one
// after another, so each is compiled once. Counts the runs and the same runs.
std::vector<Task> plan_tasks(const SweepSpec& spec, const std::vector<const SweepPoint*>& selected,
                             const std::vector<const SweepPoint*>& pending, SharedWork& shared,
                             std::size_t& runs, std::size_t& same_runs) {
  std::map<std::string, std::pair<std::string, std::string>> owner;  // run key -> point, design
  std::vector<Task> tasks;
  for (const SweepPoint* p : selected) {
    const bool is_pending = std::find(pending.begin(), pending.end(), p) != pending.end();
    Task t{p, spec.configs(*p), {}, {}, "", 0};
    t.planning = planning_fingerprint(t.cfgs.front());
    for (std::size_t i = 0; i < t.cfgs.size(); ++i) {
      const std::string& design = spec.designs[i].spec.text;
      const auto [it, first] = owner.emplace(run_key(*p, t.cfgs[i]), std::make_pair(p->id, design));
      PointDesign d{design, nullptr, "", ""};
      if (!first) {
        d.same_point = it->second.first;
        d.same_design = it->second.second;
      }
      t.designs.push_back(d);
      if (!is_pending) continue;
      ++(first ? runs : same_runs);
      t.keys.push_back(first ? shared.key(*p, t.cfgs[i]) : "");
      if (first) shared.expect(t.keys.back());
    }
    if (is_pending) tasks.push_back(std::move(t));
  }
  // Points that share networks next to each other, and among those, points of equal planning
  // parameters at the first one's place; otherwise in spec order, so that neighbours on the
  // spec's last axes stay together (they often share an array height, and with it the MACs'
  // pricing). Results are written per point: the order is only the work's.
  std::map<std::pair<std::vector<std::string>, std::string>, std::size_t> first;
  for (Task& t : tasks)
    t.planning_rank = first.emplace(std::make_pair(t.keys, t.planning), first.size()).first->second;
  std::stable_sort(tasks.begin(), tasks.end(), [](const Task& a, const Task& b) {
    return a.keys != b.keys ? a.keys < b.keys : a.planning_rank < b.planning_rank;
  });
  return tasks;
}

// The work of a batch's points: their networks compiled (or reused) in this process, so the
// worker shares them, and the energy model they are priced with. A point whose network fails
// to compile is recorded failed and leaves the batch.
std::vector<PointWork> prepare_batch(std::vector<Task*>& batch, SharedWork& shared,
                                     const SweepOptions& opt, Progress& progress,
                                     const EnergyModel*& em, double& compile_s) {
  std::vector<PointWork> work;
  std::vector<std::tuple<std::string, const SweepPoint*, const SimConfig*>> needs;
  for (const Task* t : batch)
    for (std::size_t i = 0; i < t->cfgs.size(); ++i)
      if (t->designs[i].same_point.empty()) needs.emplace_back(t->keys[i], t->point, &t->cfgs[i]);
  double prefetch_s = shared.prefetch(needs);  // charged to the first point's compile
  for (Task*& t : batch) {
    const std::size_t n = t->cfgs.size();
    PointWork w{t->point,   &t->cfgs,   std::vector<const CompiledNetwork*>(n, nullptr),
                t->designs, prefetch_s, std::vector<const std::vector<LayerMacEnergy>*>(n, nullptr),
                0.0};
    prefetch_s = 0;
    try {
      em = &shared.energy(t->cfgs.front().energy_table_path);
      for (std::size_t i = 0; i < t->cfgs.size(); ++i) {
        if (!t->designs[i].same_point.empty()) continue;
        w.cns[i] = &shared.compiled(t->keys[i], *t->point, t->cfgs[i], w.compile_s);
        w.macs[i] = &shared.prices(t->keys[i], *w.cns[i], t->cfgs[i], *em, w.pricing_s);
      }
    } catch (const std::exception& e) {
      StageSeconds s;
      s.compile = w.compile_s;
      write_point(opt.out_dir, failed_point(*t->point, e.what(), s), {});
      progress.point_done(true);
      for (const auto& k : t->keys)
        if (!k.empty()) shared.done(k);
      t = nullptr;
      continue;
    }
    compile_s += w.compile_s;
    work.push_back(std::move(w));
  }
  batch.erase(std::remove(batch.begin(), batch.end(), nullptr), batch.end());
  return work;
}

// The tasks on opt.jobs worker processes, a batch of points each (their networks compiled in this
// process first, so the workers share them), until done or interrupted; returns the compile
// seconds.
double run_tasks(const SweepSpec& spec, const SweepOptions& opt, std::vector<Task>& tasks,
                 SharedWork& shared, Progress& progress) {
  g_stop = 0;
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  struct sigaction old_int {
  }, old_term{};
  sigaction(SIGINT, &sa, &old_int);
  sigaction(SIGTERM, &sa, &old_term);

  // Points a worker takes at once: several, to share a process's start-up (worker), but few
  // enough that every worker stays busy to the end and holds at most kAccelerators plans (a
  // ResNet-50 plan and its accelerator, jobs made on demand, are at most about 30 MB); one in
  // functional sweeps, whose accelerators each hold a DRAM image of the network.
  constexpr std::size_t kAccelerators = 8;
  const auto workers = static_cast<std::size_t>(std::max(1, opt.jobs));
  const std::size_t most = std::max<std::size_t>(1, kAccelerators / spec.designs.size());
  const std::size_t per_batch =
      spec.functional ? 1 : std::clamp<std::size_t>(tasks.size() / (4 * workers), 1, most);
  std::map<pid_t, std::vector<Task*>> running;
  std::deque<std::vector<Task*>> retry;  // points of a failed batch, each alone
  std::size_t next = 0;
  double compile_s = 0;
  auto reap = [&](bool block) {
    int status = 0;
    const pid_t pid = ::waitpid(-1, &status, block ? 0 : WNOHANG);
    if (pid <= 0) return false;
    const std::vector<Task*> batch = running.at(pid);
    running.erase(pid);
    const bool clean = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    // A worker stopped by the same interrupt leaves no record: the points are simply not done.
    if (g_stop && WIFSIGNALED(status)) return true;
    if (batch.size() > 1 && WIFEXITED(status) && WEXITSTATUS(status) == kBatchFailed) {
      for (Task* t : batch) {
        for (const auto& k : t->keys)
          if (!k.empty()) shared.expect(k);
        retry.push_back({t});
      }
      return true;
    }
    for (Task* t : batch) {
      auto rec = read_point(opt.out_dir, t->point->id);
      if (!clean && (!rec || rec->status != "ok")) {
        write_point(opt.out_dir, failed_point(*t->point, describe_exit(status), {}), {});
        rec = read_point(opt.out_dir, t->point->id);
      }
      progress.point_done(!rec || rec->status != "ok");
    }
    return true;
  };
  while (!g_stop && (next < tasks.size() || !retry.empty() || !running.empty())) {
    if (running.size() >= workers || (next == tasks.size() && retry.empty())) {
      if (!reap(true) && errno != EINTR) break;
      continue;
    }
    std::vector<Task*> batch;
    const bool alone = !retry.empty();
    if (alone) {
      batch = retry.front();
      retry.pop_front();
    }
    // A batch takes per_batch points, and more (up to `most`; not in functional sweeps) while
    // they share the last one's planning parameters: its worker then counts their mappings once.
    while (!alone && next < tasks.size() &&
           (batch.size() < per_batch || (!spec.functional && batch.size() < most &&
                                         tasks[next].planning == batch.back()->planning))) {
      Task& t = tasks[next];
      // The batch's points share their networks and energy table (one run_simulations).
      if (!batch.empty() &&
          (t.keys != batch.front()->keys ||
           t.cfgs.front().energy_table_path != batch.front()->cfgs.front().energy_table_path))
        break;
      ++next;
      // A point whose every design is another's run: recorded here, nothing to simulate.
      if (std::all_of(t.designs.begin(), t.designs.end(),
                      [](const PointDesign& d) { return !d.same_point.empty(); })) {
        write_point(opt.out_dir, point_record(*t.point, t.designs), t.designs);
        progress.point_done(false);
        continue;
      }
      batch.push_back(&t);
    }
    if (batch.empty()) continue;
    // Compile (or reuse) the networks in this process, so the workers share them.
    const EnergyModel* em = nullptr;
    std::vector<PointWork> work = prepare_batch(batch, shared, opt, progress, em, compile_s);
    if (work.empty()) continue;
    std::fflush(nullptr);
    const pid_t pid = ::fork();
    if (pid < 0)
      throw SimulationError(std::string("cannot start a worker process: ") + std::strerror(errno));
    if (pid == 0) {
      sigaction(SIGINT, &old_int, nullptr);
      sigaction(SIGTERM, &old_term, nullptr);
      worker(std::move(work), spec.functional, *em, opt.out_dir);
    }
    running[pid] = batch;
    for (Task* t : batch)
      for (const auto& k : t->keys)
        if (!k.empty()) shared.done(k);  // the worker has its own copy now
  }
  while (!running.empty()) {
    if (!reap(true) && errno != EINTR) break;
  }
  progress.finish();
  sigaction(SIGINT, &old_int, nullptr);
  sigaction(SIGTERM, &old_term, nullptr);
  return compile_s;
}

// 4. The table of every selected point, and where the time went.
int finish_sweep(const SweepSpec& spec, const SweepOptions& opt,
                 const std::vector<const SweepPoint*>& selected,
                 const std::vector<const SweepPoint*>& pending, double compile_s,
                 std::size_t networks_compiled, Clock::time_point t_start) {
  std::vector<std::string> ids;
  for (const SweepPoint* p : selected)
    ids.push_back(p->id);
  const SweepTable table =
      write_sweep_table(SweepManifest::from_spec(spec), ids, {opt.out_dir}, opt.out_dir);
  StageSeconds sum;  // of the points this invocation ran
  for (const SweepPoint* p : pending) {
    if (const auto rec = read_point(opt.out_dir, p->id)) {
      sum.plan += rec->seconds.plan;
      sum.simulate += rec->seconds.simulate;
      sum.write += rec->seconds.write;
    }
  }
  sum.compile = compile_s;
  const double wall = seconds_since(t_start);
  const std::size_t ran = pending.size();
  const nlohmann::json timing = {
      {"wall_seconds", wall},
      {"workers", opt.jobs},
      {"points_run", ran},
      {"networks_compiled", networks_compiled},
      {"seconds_per_point_wall", ran ? wall / static_cast<double>(ran) : 0.0},
      {"stage_seconds_total",
       {{"compile", sum.compile},
        {"plan", sum.plan},
        {"simulate", sum.simulate},
        {"write", sum.write}}}};
  write_file_atomic(opt.out_dir + "/timing.json", timing.dump(1) + "\n");
  std::printf(
      "sweep: %zu points in sweep.csv (%zu failed, %zu with an infeasible design%s); "
      "%.2f s wall, %.3f s per point; compile %.2f s, plan %.2f s, simulate %.2f s, "
      "write %.2f s (summed over workers)\n",
      table.points, table.failed, table.infeasible,
      table.missing ? (", " + std::to_string(table.missing) + " not run").c_str() : "", wall,
      ran ? wall / static_cast<double>(ran) : 0.0, sum.compile, sum.plan, sum.simulate, sum.write);
  if (g_stop) {
    std::printf(
        "sweep: interrupted; finished points are kept, re-run the same command to resume\n");
    return 130;
  }
  return table.failed > 0 || table.missing > 0 ? 1 : 0;
}

}  // namespace

int run_sweep(const SweepSpec& spec, const SweepOptions& opt) {
  const auto t_start = Clock::now();
  prepare_dir(spec, opt);

  // Select this run's points and find those still to do (a failed point is tried again).
  std::vector<const SweepPoint*> selected;
  for (const auto& p : spec.points) {
    if (opt.point ? p.index == *opt.point : p.index % opt.shards == opt.shard - 1)
      selected.push_back(&p);
  }
  std::vector<const SweepPoint*> pending;
  for (const SweepPoint* p : selected) {
    const auto rec = read_point(opt.out_dir, p->id);
    if (!rec || rec->status != "ok") pending.push_back(p);
  }
  SharedWork shared(spec);
  std::size_t runs = 0, same_runs = 0;
  std::vector<Task> tasks = plan_tasks(spec, selected, pending, shared, runs, same_runs);
  std::printf(
      "sweep %s: %zu points x %zu designs selected, %zu finished, %zu to run (%zu runs, %zu "
      "the same run as another point's) on %d worker%s -> %s\n",
      spec.path.c_str(), selected.size(), spec.designs.size(), selected.size() - pending.size(),
      pending.size(), runs, same_runs, opt.jobs, opt.jobs == 1 ? "" : "s", opt.out_dir.c_str());
  std::fflush(stdout);
  Progress progress(selected.size(), selected.size() - pending.size());
  const double compile_s = run_tasks(spec, opt, tasks, shared, progress);
  if (!opt.point) remove_stale_points(opt.out_dir);
  if (opt.point) {
    const auto rec = read_point(opt.out_dir, spec.points[static_cast<std::size_t>(*opt.point)].id);
    return rec && rec->status == "ok" ? 0 : 1;
  }
  return finish_sweep(spec, opt, selected, pending, compile_s, shared.compiles(), t_start);
}

}  // namespace conloc
