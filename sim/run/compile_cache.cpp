#include "sim/run/compile_cache.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sys/stat.h>
#include <vector>
#include <xxhash.h>

#include "modules/base/error.h"
#include "sim/common/file_io.h"
#include "sim/common/text.h"
#include "sim/quant/compiled_io.h"
#include "sim/run/prepare.h"

namespace conloc {

namespace fs = std::filesystem;

namespace {

// This program's binary, as its size and modification time: every build reads only its own
// files (a code change can change any compiled value without changing any key).
std::string binary_identity() {
  struct stat st {};
  if (::stat("/proc/self/exe", &st) != 0) return "";
  return std::to_string(st.st_size) + " " + std::to_string(st.st_mtim.tv_sec) + "." +
         std::to_string(st.st_mtim.tv_nsec);
}

// A file's contents as a hash: the key follows what the workload's files hold, not their names.
std::string content_hash(const std::string& path) {
  const MappedFile f(path, kMaxExternalDataBytes);
  return hex64(XXH3_64bits(f.data(), f.size()));
}

const char* extension = ".compiled";

}  // namespace

std::optional<CompileCache> CompileCache::from_environment() {
  // Without this binary's identity a rebuilt simulator could read an older build's networks.
  if (binary_identity().empty()) return std::nullopt;
  if (const char* env = std::getenv("CONLOCNN_CACHE_DIR"); env != nullptr && *env != '\0') {
    if (std::string(env) == "off") return std::nullopt;
    return CompileCache(env);
  }
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg != nullptr && *xdg == '/')
    return CompileCache(std::string(xdg) + "/conlocnn-sim");
  if (const char* home = std::getenv("HOME"); home != nullptr && *home == '/')
    return CompileCache(std::string(home) + "/.cache/conlocnn-sim");
  return std::nullopt;
}

std::string CompileCache::path(const std::string& key) const {
  return (fs::path(dir_) / (fnv1a_hex(key) + extension)).string();
}

std::optional<CompiledNetwork> CompileCache::load(const std::string& key, const Network& net,
                                                  const DesignConfig& design) const {
  const std::string p = path(key);
  std::string why;
  auto cn = load_compiled(p, key, net, design, why);
  if (cn) {
    // Least recently used goes first when the folder is full: a hit counts as a use.
    std::error_code ec;
    fs::last_write_time(p, fs::file_time_type::clock::now(), ec);
    cn->from_cache = true;
  } else if (why != "not cached") {
    std::fprintf(stderr, "compile cache: %s: %s; compiling again\n", p.c_str(), why.c_str());
  }
  return cn;
}

void CompileCache::store(const std::string& key, const CompiledNetwork& cn,
                         const DesignConfig& design) const {
  try {
    save_compiled(path(key), key, cn, design);
  } catch (const UserError& e) {
    std::fprintf(stderr, "compile cache: %s; the run goes on without it\n", e.what());
    return;
  }
  std::error_code ec;
  std::vector<std::pair<fs::file_time_type, fs::path>> files;
  std::uintmax_t total = 0;
  for (const auto& entry : fs::directory_iterator(dir_, ec)) {
    if (entry.path().extension() != extension || !entry.is_regular_file(ec)) continue;
    total += entry.file_size(ec);
    files.emplace_back(entry.last_write_time(ec), entry.path());
  }
  std::sort(files.begin(), files.end());
  for (const auto& [when, file] : files) {
    if (total <= max_bytes_) break;
    const std::uintmax_t size = fs::file_size(file, ec);
    if (fs::remove(file, ec)) total -= size;
  }
  remove_stale_temp_files(dir_);
}

std::string compile_cache_key(const Workload& w, const SimConfig& cfg, bool functional,
                              const Calibration* calibration) {
  nlohmann::json files = nlohmann::json::array();
  for (const std::string& f : w.files)
    files.push_back({f, content_hash(f)});
  nlohmann::json key = {{"network", network_key(w, cfg, functional, calibration)},
                        {"files", files},
                        {"binary", binary_identity()}};
  if (calibration) {
    XXH3_state_t* state = XXH3_createState();
    XXH3_64bits_reset(state);
    for (const auto& image : calibration->images) {
      const std::uint64_t n = image.size();
      XXH3_64bits_update(state, &n, sizeof n);
      XXH3_64bits_update(state, image.data(), image.size() * sizeof(float));
    }
    key["calibration_images"] = {calibration->images.size(), hex64(XXH3_64bits_digest(state))};
    XXH3_freeState(state);
  }
  return key.dump();
}

}  // namespace conloc
