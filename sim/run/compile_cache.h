#pragma once

#include <optional>
#include <string>

#include "modules/common/compiled_network.h"
#include "sim/config/sim_config.h"
#include "sim/run/prepare.h"
#include "sim/workload/workload.h"

namespace conloc {

// The persistent compile cache: compiled networks kept on disk between runs, so that running a
// network again -- on another array, buffers, dataflow, energy table, DRAM -- skips the compile
// (quantize, encode, calibrate, the integer reference), which is most of a run on a large
// network. docs/architecture.md "Compile cache" says what it holds and when it is used.
//
// A file is found by a key that holds everything the compiled network depends on:
// network_key (the workload's name or file, seed, image, input shape, the compile spec, the
// batch, the calibration images' name), the contents of every file the workload read
// (Workload::files), the values of the calibration images (`run --calibration`, `accuracy`,
// `optimize` calibrate on dataset images) and the identity of
// this program's binary (its size and modification time: a rebuilt simulator never reads an
// older build's files). The file repeats the whole key, and a checksum covers its body.
class CompileCache {
 public:
  // The cache the environment asks for: CONLOCNN_CACHE_DIR (a folder; "off" disables the cache),
  // else $XDG_CACHE_HOME/conlocnn-sim, else $HOME/.cache/conlocnn-sim; none without either, nor
  // where this binary's identity cannot be read (/proc/self/exe).
  static std::optional<CompileCache> from_environment();
  static constexpr std::uintmax_t kMaxBytes = std::uintmax_t{2} << 30;
  explicit CompileCache(std::string dir, std::uintmax_t max_bytes = kMaxBytes)
      : dir_(std::move(dir)), max_bytes_(max_bytes) {}

  // The cached network for `key`, or nullopt (not cached, or a file that fails its checks: a
  // warning on stderr names it and why, and the caller compiles).
  std::optional<CompiledNetwork> load(const std::string& key, const Network& net,
                                      const DesignConfig& design) const;
  // Keeps `cn` under `key`, then removes the least recently used files while the folder holds
  // more than its limit (kMaxBytes unless given). A failure to write is a warning: the run goes on
  // without the cache.
  void store(const std::string& key, const CompiledNetwork& cn, const DesignConfig& design) const;

  const std::string& dir() const { return dir_; }
  std::string path(const std::string& key) const;

 private:
  std::string dir_;
  std::uintmax_t max_bytes_;
};

// The cache key of prepare_network(w, cfg, functional, calibration): see above; calibration
// images enter by their values.
std::string compile_cache_key(const Workload& w, const SimConfig& cfg, bool functional,
                              const Calibration* calibration = nullptr);

}  // namespace conloc
