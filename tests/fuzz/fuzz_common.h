#pragma once

// Shared by the libFuzzer targets (scripts/fuzz.sh): each writes the input to a file, as a user
// would hand it over, and calls one loader. A UserError is the expected outcome for bad input;
// anything else -- another exception, a crash, a sanitizer report, a hang -- is a finding.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <string>
#include <unistd.h>

#include "modules/base/error.h"

namespace conloc::fuzz {

// The file a target hands its inputs over in, one per process, removed when the process exits (a
// crash leaves it behind: libFuzzer saves the crashing input on its own anyway). Without the
// removal every run of the suite left a file per target in /tmp.
struct InputFile {
  std::string path;
  ~InputFile() { std::remove(path.c_str()); }
};

inline const std::string& input_path(const char* ext) {
  static const InputFile f{std::string("/tmp/conloc-fuzz-") + std::to_string(::getpid()) + ext};
  return f.path;
}

inline const std::string& write_input(const std::uint8_t* data, std::size_t size, const char* ext) {
  const std::string& p = input_path(ext);
  std::ofstream(p, std::ios::binary | std::ios::trunc)
      .write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  return p;
}

template <class F>
int expect_user_error_only(F&& f) {
  try {
    f();
  } catch (const UserError&) {
  } catch (const std::exception& e) {
    std::fprintf(stderr, "not a UserError: %s\n", e.what());
    std::abort();
  }
  return 0;
}

}  // namespace conloc::fuzz
