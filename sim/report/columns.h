#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace conloc {

// One output column: its name (units are part of the name, e.g. `cycles`, `energy_pj`), the unit
// alone for documentation, and how to read it from a row. A cell is a JSON value: an integer, a
// number (non-finite numbers become null), a string, a bool, null (empty in CSV), or -- for
// JSON-only columns -- an object.
template <class Row>
struct Column {
  std::string name;
  std::string unit;
  std::function<nlohmann::json(const Row&)> get;
  bool in_csv = true;  // false: structured data written to JSON only (e.g. raw action counts)
};

template <class Row>
using ColumnTable = std::vector<Column<Row>>;

// A column that reads one data member.
template <class Row, class T>
Column<Row> member_column(std::string name, std::string unit, T Row::*m) {
  return {std::move(name), std::move(unit), [m](const Row& r) { return nlohmann::json(r.*m); }};
}

// How a CSV dialect separates and ends fields. SCALE-Sim writes ", " and a trailing comma.
struct CsvStyle {
  std::string separator = ",";
  std::string line_end = "\n";
  // Non-integers in the fewest digits that read back exactly (as Python prints a float) instead
  // of 6 significant digits: SCALE-Sim's report files print them so, and are compared digit for
  // digit.
  bool round_trip = false;
};
inline const CsvStyle kScaleSimCsv{", ", ",\n", true};

// A cell as CSV text: integers exactly, other numbers with 6 significant digits (or round-trip
// digits), strings quoted when they contain a separator, quote or line break; null and
// non-finite numbers empty.
std::string csv_cell(const nlohmann::json& v, bool round_trip = false);

// A number that is not finite (NaN SQNR of an unmeasured layer) as JSON null.
nlohmann::json finite_or_null(double v);

template <class Row>
std::string to_csv(const ColumnTable<Row>& cols, const std::vector<Row>& rows,
                   const CsvStyle& style = CsvStyle{}) {
  std::string out;
  bool first = true;
  for (const auto& c : cols) {
    if (!c.in_csv) continue;
    out += (first ? "" : style.separator) + c.name;
    first = false;
  }
  out += style.line_end;
  for (const Row& r : rows) {
    first = true;
    for (const auto& c : cols) {
      if (!c.in_csv) continue;
      out += (first ? "" : style.separator) + csv_cell(c.get(r), style.round_trip);
      first = false;
    }
    out += style.line_end;
  }
  return out;
}

template <class Row>
nlohmann::json to_json_object(const ColumnTable<Row>& cols, const Row& r) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& c : cols)
    j[c.name] = c.get(r);
  return j;
}

template <class Row>
nlohmann::json to_json_array(const ColumnTable<Row>& cols, const std::vector<Row>& rows) {
  nlohmann::json a = nlohmann::json::array();
  for (const Row& r : rows)
    a.push_back(to_json_object(cols, r));
  return a;
}

template <class Row>
std::vector<std::string> csv_column_names(const ColumnTable<Row>& cols) {
  std::vector<std::string> names;
  for (const auto& c : cols)
    if (c.in_csv) names.push_back(c.name);
  return names;
}

}  // namespace conloc
