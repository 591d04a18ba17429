#include "sim/report/columns.h"

#include <cmath>
#include <cstdio>

namespace conloc {

std::string csv_cell(const nlohmann::json& v) {
  if (v.is_null()) return "";
  if (v.is_number_integer()) return v.dump();
  if (v.is_number()) {
    const double d = v.get<double>();
    if (!std::isfinite(d)) return "";
    char b[64];
    std::snprintf(b, sizeof b, "%.6g", d);
    return b;
  }
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  const std::string s = v.is_string() ? v.get<std::string>() : v.dump();
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string q = "\"";
  for (char ch : s) {
    if (ch == '"') q += '"';
    q += ch;
  }
  return q + "\"";
}

nlohmann::json finite_or_null(double v) {
  return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr);
}

}  // namespace conloc
