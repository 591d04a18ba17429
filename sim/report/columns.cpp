#include "sim/report/columns.h"

#include <charconv>
#include <cmath>
#include <cstdio>

namespace conloc {

std::string csv_cell(const nlohmann::json& v, bool round_trip) {
  if (v.is_null()) return "";
  if (v.is_number_integer()) return v.dump();
  if (v.is_number()) {
    const double d = v.get<double>();
    if (!std::isfinite(d)) return "";
    char b[64];
    if (round_trip) {
      std::string t(b, std::to_chars(b, b + sizeof b, d).ptr);
      // Python writes a whole float as "75.0"; to_chars as "75".
      return t.find_first_of(".e") == std::string::npos ? t + ".0" : t;
    }
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
