#pragma once

#include <optional>
#include <string>

#include "sim/sweep/sweep_spec.h"

namespace conloc {

struct SweepOptions {
  std::string out_dir;
  int jobs = 1;               // worker processes
  int shard = 1, shards = 1;  // run points with index % shards == shard - 1
  std::optional<int> point;   // run this point only (for GNU parallel / job arrays); no table
  bool force = false;         // discard results of a different spec in out_dir
};

// Runs the sweep's pending points on `jobs` worker processes (each simulates a batch of points
// in one kernel: the kernel can start once per process), skipping finished ones, then writes
// sweep.csv and sweep.json. Work that does not depend on the swept hardware (loading and compiling
// a network for a weight format) is done once in this process and shared with the workers. Returns
// the exit code: 0 when every selected point finished, 1 when any failed, 130 when interrupted.
int run_sweep(const SweepSpec& spec, const SweepOptions& opt);

}  // namespace conloc
