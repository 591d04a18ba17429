#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace conloc {

// A problem with what the user gave us (config, workload, command line). The CLI maps it to exit
// code 2. The message already names the file and the field, so it is printed as is.
class UserError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The simulation could not complete for a reason that is not the user's input (exit code 1).
class SimulationError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A broken invariant inside the simulator: a bug, never a user error.
class InternalError : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

// "<source>: <path>: <problem>; got <got>; expected <expected>". Empty parts are left out, so a
// malformed file reads "<source>: <problem>" and a missing field "<source>: <path>: missing ...".
std::string field_error(const std::string& source, const std::string& path,
                        const std::string& problem, const std::string& got = "",
                        const std::string& expected = "");

// "[2, 3, 4]": dimensions or an index list, as error messages show them.
std::string dims_text(const std::vector<std::int64_t>& dims);

[[noreturn]] void throw_field_error(const std::string& source, const std::string& path,
                                    const std::string& problem, const std::string& got = "",
                                    const std::string& expected = "");

}  // namespace conloc

// Simulator invariant check that names the module; throws InternalError (never aborts the process,
// so the CLI can still report it and exit 1).
#define CONLOC_ASSERT(cond, module, msg)                                                          \
  do {                                                                                            \
    if (!(cond)) {                                                                                \
      throw ::conloc::InternalError(std::string("internal error in ") + (module) + ": " + (msg) + \
                                    " (" #cond ") at " __FILE__ ":" + std::to_string(__LINE__));  \
    }                                                                                             \
  } while (0)
