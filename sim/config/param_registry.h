#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace conloc {

enum class ParamKind { Int, Real, Bool, String, Choice };

// One parameter, declared once: everything the loader, the validator, `config --schema` and the
// README table need to know about it.
struct ParamSpec {
  std::string path;  // dotted JSON path, e.g. "array.rows"
  ParamKind kind = ParamKind::Int;
  nlohmann::json default_value;  // null: the parameter is required
  std::string unit;              // "-" when dimensionless
  std::string description;
  double min = 0.0;  // inclusive range for Int and Real
  double max = 0.0;
  std::vector<std::string> choices;  // for Choice
  bool power_of_two = false;         // for Int
  // The default is the string "auto": derived from other parameters as the description says (a
  // preset's own value, the DRAM technology's bandwidth). A written config.json keeps "auto", so
  // feeding it back derives the same value; any other value overrides the derivation.
  bool may_be_auto = false;
};

// A flat view of a config document: dotted path -> value, plus where each value came from
// (file name, "--set", or "default"), so cross-field errors can name the right source.
struct ResolvedParams {
  std::map<std::string, nlohmann::json> values;
  std::map<std::string, std::string> origin;

  const nlohmann::json& at(const std::string& path) const;
  const std::string& source_of(const std::string& path) const;
  // True when the parameter holds "auto" (ParamSpec::may_be_auto).
  bool is_auto(const std::string& path) const;
  // Nested JSON with every parameter, in declaration order of the groups.
  nlohmann::json to_json() const;
};

class ParamRegistry {
 public:
  explicit ParamRegistry(std::vector<ParamSpec> specs);

  const std::vector<ParamSpec>& specs() const { return specs_; }
  const ParamSpec* find(const std::string& path) const;

  // Checks a parsed document from `source` (unknown keys at any depth, types, ranges) and merges
  // its values into `out`, recording `source` as their origin.
  void merge_document(const nlohmann::json& doc, const std::string& source,
                      ResolvedParams& out) const;

  // Applies one "--set dotted.key=value" assignment. The value is parsed as JSON when it is valid
  // JSON (numbers, true/false, quoted strings) and taken as a bare string otherwise.
  void merge_assignment(const std::string& assignment, ResolvedParams& out) const;

  // Sets `key` to a JSON value from `source` (a sweep axis, say), checked like a file's value; an
  // unknown key is an error naming `source` with a did-you-mean.
  void merge_value(const std::string& key, const nlohmann::json& value, const std::string& source,
                   ResolvedParams& out) const;

  // Fills defaults for every parameter not given; a required parameter that is missing is an
  // error naming `source`.
  void fill_defaults(ResolvedParams& out, const std::string& source) const;

  // Markdown table (name, type, default, unit, allowed, description) for --schema and README.
  std::string schema_markdown() const;
  nlohmann::json schema_json() const;

 private:
  void check_value(const ParamSpec& spec, const nlohmann::json& v, const std::string& source) const;
  [[noreturn]] void unknown_key(const std::string& path, const std::string& source) const;
  std::string expected_text(const ParamSpec& spec) const;

  std::vector<ParamSpec> specs_;
  std::map<std::string, std::size_t> index_;
};

// Deepest nesting of objects and arrays accepted in any JSON input.
constexpr int kMaxJsonDepth = 64;

// Parses JSON text; malformed input is a UserError "<source>: malformed JSON at line L, column C:
// <detail>", and an empty file says so. Nesting deeper than kMaxJsonDepth and a key repeated
// within one object are UserErrors naming the JSON path; so is a number beyond double range.
nlohmann::json parse_json_text(const std::string& text, const std::string& source);
// The same, keeping object keys in the order they are written (sweep axes are ordered).
nlohmann::ordered_json parse_ordered_json_text(const std::string& text, const std::string& source);

// Levenshtein distance, for "did you mean" suggestions.
std::size_t edit_distance(const std::string& a, const std::string& b);

// Short, single-line rendering of a JSON value for error messages.
std::string json_brief(const nlohmann::json& v);

}  // namespace conloc
