#pragma once

#include <optional>
#include <string>

#include "modules/common/compiled_network.h"
#include "sim/config/sim_config.h"

namespace conloc {

// A compiled network on disk: what the persistent compile cache keeps between runs
// (sim/run/compile_cache.h, docs/architecture.md "Compile cache"). Everything of a
// CompiledNetwork but its Network (the loader makes that again) and its MAC models (rebuilt from
// the design; a per-layer level set is stored as its magnitudes), in native byte order, behind a
// header with the full key and followed by an XXH3 checksum of the body.

// Writes `cn`, compiled with `design` (CompileSpec::design), under `key` to `path` atomically (a
// temporary file renamed), so a reader sees the whole file or none. A UserError names the path
// if it cannot be written.
void save_compiled(const std::string& path, const std::string& key, const CompiledNetwork& cn,
                   const DesignConfig& design);

// What save_compiled wrote under `key`, for the network `net` compiled with `design`
// (CompileSpec::design). nullopt, with the reason in `why`, if the file is missing, was written
// under another key or format version, is truncated, fails its checksum or does not fit `net`.
std::optional<CompiledNetwork> load_compiled(const std::string& path, const std::string& key,
                                             const Network& net, const DesignConfig& design,
                                             std::string& why);

}  // namespace conloc
