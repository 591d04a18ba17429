#include "modules/base/error.h"

namespace conloc {

std::string dims_text(const std::vector<std::int64_t>& dims) {
  std::string t = "[";
  for (std::size_t i = 0; i < dims.size(); ++i)
    t += (i ? ", " : "") + std::to_string(dims[i]);
  return t + "]";
}

std::string field_error(const std::string& source, const std::string& path,
                        const std::string& problem, const std::string& got,
                        const std::string& expected) {
  std::string m = source;
  if (!path.empty()) m += ": " + path;
  m += ": " + problem;
  if (!got.empty()) m += "; got " + got;
  if (!expected.empty()) m += "; expected " + expected;
  return m;
}

void throw_field_error(const std::string& source, const std::string& path,
                       const std::string& problem, const std::string& got,
                       const std::string& expected) {
  throw UserError(field_error(source, path, problem, got, expected));
}

}  // namespace conloc
