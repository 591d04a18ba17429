#include "sim/config/param_registry.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <sstream>

#include "modules/base/error.h"

namespace conloc {

namespace {

std::string kind_name(ParamKind k) {
  switch (k) {
    case ParamKind::Int:
      return "integer";
    case ParamKind::Real:
      return "number";
    case ParamKind::Bool:
      return "boolean";
    case ParamKind::String:
      return "string";
    case ParamKind::Choice:
      return "choice";
  }
  return "?";
}

}  // namespace

std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j)
    prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] != b[j - 1])});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

namespace {

std::string format_number(double v) {
  std::ostringstream ss;
  ss << v;
  return ss.str();
}

bool is_group_prefix(const std::vector<ParamSpec>& specs, const std::string& prefix) {
  for (const auto& s : specs) {
    if (s.path.size() > prefix.size() && s.path.compare(0, prefix.size(), prefix) == 0 &&
        s.path[prefix.size()] == '.') {
      return true;
    }
  }
  return false;
}

// Keys allowed directly under `prefix` ("" for the top level).
std::vector<std::string> children_of(const std::vector<ParamSpec>& specs,
                                     const std::string& prefix) {
  std::vector<std::string> out;
  for (const auto& s : specs) {
    if (!prefix.empty() &&
        (s.path.size() <= prefix.size() || s.path.compare(0, prefix.size(), prefix) != 0 ||
         s.path[prefix.size()] != '.')) {
      continue;
    }
    const std::string rest = prefix.empty() ? s.path : s.path.substr(prefix.size() + 1);
    const std::string head = rest.substr(0, rest.find('.'));
    if (std::find(out.begin(), out.end(), head) == out.end()) out.push_back(head);
  }
  return out;
}

std::string join(const std::vector<std::string>& v, const std::string& sep) {
  std::string out;
  for (std::size_t i = 0; i < v.size(); ++i)
    out += (i ? sep : "") + v[i];
  return out;
}

}  // namespace

std::string json_brief(const nlohmann::json& v) {
  // Invalid UTF-8 in a user's string is shown replaced, not thrown (it is what the error is about).
  std::string s = v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (s.size() > 60) s = s.substr(0, 57) + "...";
  return s;
}

namespace {

// A problem the parser callback found (too deep, duplicate key); thrown out of the parser and
// reported with the JSON path.
struct JsonShapeError {
  std::string path, problem, got, expected;
};

template <class Json>
Json parse_json_as(const std::string& text, const std::string& source) {
  if (text.find_first_not_of(" \t\r\n") == std::string::npos) {
    throw UserError(field_error(source, "", "file is empty", "", "a JSON object"));
  }
  // JSON text never holds a NUL byte (a string escapes it); the parser would take one for the end
  // of the input and ignore whatever follows, so a document followed by a NUL and garbage would
  // be accepted.
  if (const auto nul = text.find('\0'); nul != std::string::npos) {
    const std::size_t line =
        1 + static_cast<std::size_t>(std::count(text.begin(), text.begin() + nul, '\n'));
    throw UserError(source + ": malformed JSON at line " + std::to_string(line) +
                    ": a NUL byte (at byte " + std::to_string(nul) + "); JSON text has none");
  }
  // The callback sees every key and container as it is parsed: it refuses nesting deeper than
  // kMaxJsonDepth before anything deep is built (a deep document would overflow the stack of
  // every recursive consumer), and a key repeated in one object (last-wins would hide a typo).
  std::vector<std::vector<std::string>> keys;  // per open container: keys seen (objects)
  std::vector<std::string> path;               // per open container: the key or index it is at
  std::string pending_key;
  auto where = [&]() {
    std::string p;
    for (const auto& k : path)
      p += (p.empty() || k.front() == '[' ? "" : ".") + k;
    return p.size() > 60 ? p.substr(0, 57) + "..." : p;
  };
  auto cb = [&](int depth, nlohmann::detail::parse_event_t ev, Json& parsed) {
    using E = nlohmann::detail::parse_event_t;
    if (ev == E::object_start || ev == E::array_start) {
      if (depth >= kMaxJsonDepth) {
        throw JsonShapeError{where(), "nested too deeply",
                             "more than " + std::to_string(kMaxJsonDepth) + " levels",
                             "at most " + std::to_string(kMaxJsonDepth)};
      }
      if (!keys.empty()) path.push_back(pending_key.empty() ? "[]" : pending_key);
      keys.emplace_back();
      pending_key.clear();
    } else if (ev == E::object_end || ev == E::array_end) {
      keys.pop_back();
      if (!path.empty() && static_cast<int>(path.size()) > depth - 1 && depth > 0) path.pop_back();
      pending_key.clear();
    } else if (ev == E::key) {
      const std::string k = parsed.template get<std::string>();
      auto& seen = keys.back();
      if (std::find(seen.begin(), seen.end(), k) != seen.end()) {
        std::string at = where();
        throw JsonShapeError{at.empty() ? k : at + "." + k, "duplicate key", "\"" + k + "\"",
                             "each key once per object"};
      }
      seen.push_back(k);
      pending_key = k;
    }
    return true;
  };
  try {
    return Json::parse(text, cb);
  } catch (const JsonShapeError& e) {
    throw UserError(field_error(source, e.path, e.problem, e.got, e.expected));
  } catch (const nlohmann::detail::parse_error& e) {
    // e.byte is 1-based and points just past the offending character.
    std::size_t line = 1, col = 1;
    const std::size_t end = std::min<std::size_t>(e.byte > 0 ? e.byte - 1 : 0, text.size());
    for (std::size_t i = 0; i < end; ++i) {
      if (text[i] == '\n') {
        ++line;
        col = 1;
      } else {
        ++col;
      }
    }
    std::string detail = e.what();
    const auto pos = detail.find("syntax error");
    if (pos != std::string::npos) detail = detail.substr(pos);
    throw UserError(source + ": malformed JSON at line " + std::to_string(line) + ", column " +
                    std::to_string(col) + ": " + detail);
  } catch (const nlohmann::json::exception& e) {
    // Numbers beyond double range and the like: the library's message says which.
    std::string detail = e.what();
    const auto pos = detail.find("] ");
    if (pos != std::string::npos) detail = detail.substr(pos + 2);
    throw UserError(source + ": invalid JSON: " + detail);
  }
}

}  // namespace

nlohmann::json parse_json_text(const std::string& text, const std::string& source) {
  return parse_json_as<nlohmann::json>(text, source);
}

nlohmann::ordered_json parse_ordered_json_text(const std::string& text, const std::string& source) {
  return parse_json_as<nlohmann::ordered_json>(text, source);
}

const nlohmann::json& ResolvedParams::at(const std::string& path) const {
  auto it = values.find(path);
  if (it == values.end()) throw InternalError("config: parameter not resolved: " + path);
  return it->second;
}

const std::string& ResolvedParams::source_of(const std::string& path) const {
  static const std::string kDefault = "default";
  auto it = origin.find(path);
  return it == origin.end() ? kDefault : it->second;
}

bool ResolvedParams::is_auto(const std::string& path) const {
  return at(path) == "auto";
}

nlohmann::json ResolvedParams::to_json() const {
  nlohmann::json root = nlohmann::json::object();
  for (const auto& [path, value] : values) {
    nlohmann::json* node = &root;
    std::size_t start = 0;
    while (true) {
      const auto dot = path.find('.', start);
      if (dot == std::string::npos) {
        (*node)[path.substr(start)] = value;
        break;
      }
      node = &(*node)[path.substr(start, dot - start)];
      start = dot + 1;
    }
  }
  return root;
}

ParamRegistry::ParamRegistry(std::vector<ParamSpec> specs) : specs_(std::move(specs)) {
  for (std::size_t i = 0; i < specs_.size(); ++i) {
    if (!index_.emplace(specs_[i].path, i).second) {
      throw InternalError("config: parameter declared twice: " + specs_[i].path);
    }
  }
}

const ParamSpec* ParamRegistry::find(const std::string& path) const {
  auto it = index_.find(path);
  return it == index_.end() ? nullptr : &specs_[it->second];
}

std::string ParamRegistry::expected_text(const ParamSpec& spec) const {
  if (spec.may_be_auto) {
    ParamSpec plain = spec;
    plain.may_be_auto = false;
    return expected_text(plain) + ", or \"auto\"";
  }
  switch (spec.kind) {
    case ParamKind::Int: {
      std::string s =
          "integer in [" + format_number(spec.min) + ", " + format_number(spec.max) + "]";
      if (spec.power_of_two) s += ", a power of two";
      return s;
    }
    case ParamKind::Real:
      return "number in [" + format_number(spec.min) + ", " + format_number(spec.max) + "]";
    case ParamKind::Bool:
      return "true or false";
    case ParamKind::String:
      return "a string";
    case ParamKind::Choice:
      return "one of " + join(spec.choices, ", ");
  }
  return "";
}

void ParamRegistry::unknown_key(const std::string& path, const std::string& source) const {
  const auto dot = path.rfind('.');
  const std::string parent = dot == std::string::npos ? "" : path.substr(0, dot);
  const auto siblings = children_of(specs_, parent);
  std::string expected = "one of " + join(siblings, ", ");
  if (!parent.empty()) expected += " under " + parent;
  // Suggest the closest full parameter path: typos are the common cause.
  std::string best;
  std::size_t best_d = 4;
  for (const auto& s : specs_) {
    const std::size_t d = edit_distance(path, s.path);
    if (d < best_d) {
      best_d = d;
      best = s.path;
    }
  }
  if (!best.empty()) expected += " (did you mean " + best + "?)";
  throw_field_error(source, path, "unknown parameter", "\"" + path + "\"", expected);
}

void ParamRegistry::check_value(const ParamSpec& spec, const nlohmann::json& v,
                                const std::string& source) const {
  const std::string got = json_brief(v);
  if (spec.may_be_auto && v == "auto") return;
  switch (spec.kind) {
    case ParamKind::Int: {
      if (!v.is_number_integer()) {
        throw_field_error(source, spec.path, "wrong type", got, expected_text(spec));
      }
      const double d = static_cast<double>(v.get<std::int64_t>());
      if (d < spec.min || d > spec.max) {
        throw_field_error(source, spec.path, "out of range", got, expected_text(spec));
      }
      const auto n = v.get<std::int64_t>();
      if (spec.power_of_two && (n <= 0 || (n & (n - 1)) != 0)) {
        throw_field_error(source, spec.path, "not a power of two", got, expected_text(spec));
      }
      return;
    }
    case ParamKind::Real: {
      if (!v.is_number())
        throw_field_error(source, spec.path, "wrong type", got, expected_text(spec));
      const double d = v.get<double>();
      if (!std::isfinite(d) || d < spec.min || d > spec.max) {
        throw_field_error(source, spec.path, "out of range", got, expected_text(spec));
      }
      return;
    }
    case ParamKind::Bool:
      if (!v.is_boolean())
        throw_field_error(source, spec.path, "wrong type", got, expected_text(spec));
      return;
    case ParamKind::String:
      // Empty where that is the default (design.layer_formats: none).
      if (!v.is_string() || (v.get<std::string>().empty() && spec.default_value != "")) {
        throw_field_error(source, spec.path, "wrong type", got, "a non-empty string");
      }
      return;
    case ParamKind::Choice: {
      if (!v.is_string())
        throw_field_error(source, spec.path, "wrong type", got, expected_text(spec));
      const auto s = v.get<std::string>();
      if (std::find(spec.choices.begin(), spec.choices.end(), s) == spec.choices.end()) {
        throw_field_error(source, spec.path, "not an allowed value", got, expected_text(spec));
      }
      return;
    }
  }
}

void ParamRegistry::merge_document(const nlohmann::json& doc, const std::string& source,
                                   ResolvedParams& out) const {
  if (!doc.is_object()) {
    throw_field_error(source, "", "top level is not a JSON object", json_brief(doc),
                      "an object with keys " + join(children_of(specs_, ""), ", "));
  }
  // Depth-first walk so the first error reported is the first offending key in the file.
  struct Frame {
    const nlohmann::json* node;
    std::string prefix;
  };
  std::vector<Frame> stack{{&doc, ""}};
  while (!stack.empty()) {
    const Frame f = stack.back();
    stack.pop_back();
    std::vector<Frame> children;
    for (auto it = f.node->begin(); it != f.node->end(); ++it) {
      const std::string path = f.prefix.empty() ? it.key() : f.prefix + "." + it.key();
      if (const ParamSpec* spec = find(path)) {
        check_value(*spec, it.value(), source);
        out.values[path] = it.value();
        out.origin[path] = source;
      } else if (is_group_prefix(specs_, path)) {
        if (!it.value().is_object()) {
          throw_field_error(source, path, "wrong type", json_brief(it.value()),
                            "an object with keys " + join(children_of(specs_, path), ", "));
        }
        children.push_back({&it.value(), path});
      } else {
        unknown_key(path, source);
      }
    }
    for (auto it = children.rbegin(); it != children.rend(); ++it)
      stack.push_back(*it);
  }
}

void ParamRegistry::merge_assignment(const std::string& assignment, ResolvedParams& out) const {
  const auto eq = assignment.find('=');
  const std::string source = "--set " + assignment;
  if (eq == std::string::npos || eq == 0) {
    throw UserError(field_error("--set", "", "malformed assignment", "\"" + assignment + "\"",
                                "dotted.key=value"));
  }
  const std::string key = assignment.substr(0, eq);
  const std::string text = assignment.substr(eq + 1);
  const ParamSpec* spec = find(key);
  if (spec == nullptr) unknown_key(key, "--set");
  nlohmann::json value;
  if (spec->kind == ParamKind::String || spec->kind == ParamKind::Choice) {
    // Bare words are the common case for strings; accept a quoted JSON string too.
    value = text;
    if (text.size() >= 2 && text.front() == '"' && text.back() == '"') {
      value = nlohmann::json::parse(text, nullptr, false);
      if (value.is_discarded()) value = text;
    }
  } else {
    value = nlohmann::json::parse(text, nullptr, false);
    if (value.is_discarded()) value = text;  // reported as a wrong type below
  }
  merge_value(key, value, "--set", out);
  out.origin[key] = source;  // the whole assignment, so cross-field errors quote it
}

void ParamRegistry::merge_value(const std::string& key, const nlohmann::json& value,
                                const std::string& source, ResolvedParams& out) const {
  const ParamSpec* spec = find(key);
  if (spec == nullptr) unknown_key(key, source);
  check_value(*spec, value, source);
  out.values[key] = value;
  out.origin[key] = source;
}

void ParamRegistry::fill_defaults(ResolvedParams& out, const std::string& source) const {
  for (const auto& s : specs_) {
    if (out.values.count(s.path)) continue;
    if (s.default_value.is_null()) {
      throw_field_error(source, s.path, "missing required parameter", "", expected_text(s));
    }
    out.values[s.path] = s.default_value;
    out.origin[s.path] = "default";
  }
}

std::string ParamRegistry::schema_markdown() const {
  std::ostringstream ss;
  ss << "| parameter | type | default | unit | allowed | description |\n";
  ss << "|---|---|---|---|---|---|\n";
  for (const auto& s : specs_) {
    const std::string def = s.default_value.is_null() ? "(required)" : s.default_value.dump();
    ss << "| `" << s.path << "` | " << kind_name(s.kind) << " | `" << def << "` | " << s.unit
       << " | " << expected_text(s) << " | " << s.description << " |\n";
  }
  return ss.str();
}

nlohmann::json ParamRegistry::schema_json() const {
  nlohmann::json arr = nlohmann::json::array();
  for (const auto& s : specs_) {
    nlohmann::json o = {
        {"name", s.path}, {"type", kind_name(s.kind)},   {"default", s.default_value},
        {"unit", s.unit}, {"allowed", expected_text(s)}, {"description", s.description}};
    if (s.kind == ParamKind::Int || s.kind == ParamKind::Real) {
      o["min"] = s.min;
      o["max"] = s.max;
    }
    if (s.kind == ParamKind::Choice) o["choices"] = s.choices;
    arr.push_back(o);
  }
  return arr;
}

}  // namespace conloc
