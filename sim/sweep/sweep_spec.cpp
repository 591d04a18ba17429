#include "sim/sweep/sweep_spec.h"

#include <filesystem>
#include <map>

#include "modules/base/error.h"
#include "sim/common/file_io.h"
#include "sim/config/param_registry.h"
#include "sim/sweep/filter_expr.h"
#include "sim/workload/workload.h"
#include "sim/workload/zoo.h"

namespace conloc {

namespace fs = std::filesystem;
using ojson = nlohmann::ordered_json;

namespace {

[[noreturn]] void bad(const std::string& src, const std::string& path, const std::string& problem,
                      const ojson& got, const std::string& expected) {
  throw_field_error(src, path, problem,
                    got.is_null() ? "" : json_brief(nlohmann::json::parse(got.dump())), expected);
}

// A path written in the spec is relative to the spec file's folder, like paths in config files.
std::string relative_to_spec(const std::string& spec, const std::string& p) {
  if (fs::path(p).is_absolute()) return p;
  return (fs::path(spec).parent_path() / p).lexically_normal().string();
}

// One axis: a key and its values, each value with where it was written.
struct Axis {
  std::string key;
  std::vector<nlohmann::json> values;
  std::vector<std::string> sources;
};

Axis read_axis(const std::string& src, const std::string& path, const std::string& key,
               const ojson& values) {
  const ParamRegistry& reg = sim_params();
  if (key == "design.mac") {
    bad(src, path, "design.mac cannot be swept: list the designs in \"designs\"", ojson(key),
        "another parameter");
  }
  if (!values.is_array() || values.empty()) {
    bad(src, path, values.is_array() ? "empty axis" : "an axis must be a list of values", values,
        "a non-empty list of values for " + key);
  }
  Axis a;
  a.key = key;
  ResolvedParams scratch;
  for (std::size_t i = 0; i < values.size(); ++i) {
    const std::string at = src + ": " + path + "[" + std::to_string(i) + "]";
    const nlohmann::json v = nlohmann::json::parse(values[i].dump());
    reg.merge_value(key, v, at, scratch);  // unknown key (did-you-mean), type, range
    a.values.push_back(v);
    a.sources.push_back(at);
  }
  return a;
}

std::vector<std::string> string_list(const std::string& src, const ojson& doc, const char* key,
                                     const std::string& expected) {
  if (!doc.contains(key)) bad(src, key, "missing", nullptr, expected);
  const ojson& v = doc[key];
  if (!v.is_array() || v.empty()) bad(src, key, "must be a non-empty list", v, expected);
  std::vector<std::string> out;
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (!v[i].is_string() || v[i].get<std::string>().empty()) {
      bad(src, std::string(key) + "[" + std::to_string(i) + "]", "wrong type", v[i], expected);
    }
    out.push_back(v[i].get<std::string>());
  }
  return out;
}

// Filter names: a full parameter key, or the unique parameter whose last part it is.
std::string resolve_name(const std::string& src, const std::string& name) {
  const ParamRegistry& reg = sim_params();
  if (reg.find(name)) return name;
  std::vector<std::string> hits;
  for (const auto& s : reg.specs()) {
    const auto dot = s.path.rfind('.');
    if (dot != std::string::npos && s.path.substr(dot + 1) == name) hits.push_back(s.path);
  }
  if (hits.size() == 1) return hits.front();
  if (hits.size() > 1) {
    std::string all;
    for (const auto& h : hits)
      all += (all.empty() ? "" : ", ") + h;
    throw_field_error(src, "", "ambiguous parameter name in filter", "\"" + name + "\"",
                      "one of " + all);
  }
  ResolvedParams scratch;
  reg.merge_value(name, 0, src, scratch);  // throws "unknown parameter" with a did-you-mean
  throw InternalError("unreachable");
}

}  // namespace

std::vector<SimConfig> SweepSpec::configs(const SweepPoint& p) const {
  std::vector<SimConfig> out;
  for (const SweepDesign& d : designs) {
    ConfigInput in = base;
    for (std::size_t i = 0; i < p.params.size(); ++i)
      in.assignments.push_back({p.params[i].first, p.params[i].second, p.sources[i]});
    for (ParamAssignment& a : design_assignments(d.spec, d.source))
      in.assignments.push_back(std::move(a));
    out.push_back(load_sim_config(in));
  }
  return out;
}

namespace {

// 1. Base configuration: a file (relative to the spec) or an inline object, plus "set". Returns
//    the base document (part of the sweep's identity).
nlohmann::json read_base(const std::string& path, const ojson& doc, SweepSpec& s) {
  const std::string& src = path;
  nlohmann::json base_doc = nlohmann::json::object();
  if (doc.contains("base")) {
    const ojson& b = doc["base"];
    if (b.is_string()) {
      s.base.file = relative_to_spec(path, b.get<std::string>());
      try {
        base_doc = parse_json_text(read_text_file(*s.base.file), *s.base.file);
      } catch (const UserError& e) {
        throw UserError(src + ": base: " + e.what());
      }
    } else if (b.is_object()) {
      base_doc = nlohmann::json::parse(b.dump());
      s.base.document = base_doc;
      s.base.document_source = src + ": base";
    } else {
      bad(src, "base", "wrong type", b, "a config file path or an inline config object");
    }
  }
  if (doc.contains("set")) {
    const ojson& set = doc["set"];
    if (!set.is_object()) bad(src, "set", "wrong type", set, "an object of dotted.key: value");
    for (auto it = set.begin(); it != set.end(); ++it) {
      s.base.assignments.push_back(
          {it.key(), nlohmann::json::parse(it.value().dump()), src + ": set." + it.key()});
    }
  }

  return base_doc;
}

// 2. Workloads (each loaded once to check it), designs (each checked against the base
//    configuration), the baseline and whether points are simulated functionally.
void read_workloads_and_designs(const std::string& path, const ojson& doc, bool force_functional,
                                SweepSpec& s) {
  const std::string& src = path;
  const SimConfig base_cfg = load_sim_config(s.base);
  for (const auto& w :
       string_list(src, doc, "workloads", "a list of built-in network names or network files")) {
    const bool file = !is_zoo_network(w);
    s.workloads.push_back(file ? relative_to_spec(path, w) : w);
  }
  for (std::size_t i = 0; i < s.workloads.size(); ++i) {
    try {
      load_workload(s.workloads[i], base_cfg.seed);
    } catch (const UserError& e) {
      throw UserError(src + ": workloads[" + std::to_string(i) + "]: " + e.what());
    }
  }
  const auto designs = string_list(
      src, doc, "designs", "a list of designs as compare --designs takes them, e.g. \"elp5\"");
  for (std::size_t i = 0; i < designs.size(); ++i) {
    const std::string at = "designs[" + std::to_string(i) + "]";
    for (const SweepDesign& d : s.designs) {
      if (d.spec.text == designs[i])
        bad(src, at, "duplicate design", ojson(designs[i]), "each design once");
    }
    SweepDesign d;
    d.source = src + ": " + at;
    d.spec = parse_design_spec(designs[i], d.source);  // unknown name: did-you-mean
    // A setting that does not apply to the design, on the base configuration.
    ConfigInput in = s.base;
    for (ParamAssignment& a : design_assignments(d.spec, d.source))
      in.assignments.push_back(std::move(a));
    check_design_settings(d.spec, load_sim_config(in), d.source);
    s.designs.push_back(std::move(d));
  }
  s.baseline = s.designs.back().spec.text;
  if (doc.contains("baseline")) {
    const ojson& b = doc["baseline"];
    std::string all;
    for (const auto& d : s.designs)
      all += (all.empty() ? "" : ", ") + d.spec.text;
    if (!b.is_string()) bad(src, "baseline", "wrong type", b, "one of the designs: " + all);
    s.baseline = b.get<std::string>();
    if (std::none_of(s.designs.begin(), s.designs.end(),
                     [&](const SweepDesign& d) { return d.spec.text == s.baseline; })) {
      bad(src, "baseline", "not one of the designs", b, "one of " + all);
    }
  }
  if (doc.contains("functional") && !doc["functional"].is_boolean()) {
    bad(src, "functional", "wrong type", doc["functional"], "true or false");
  }
  s.functional = force_functional || doc.value("functional", false);
}

// 3. Axes (cartesian) and zipped groups (stepped together, crossed with the axes): each dimension
//    is one axis or a zipped group.
std::vector<std::vector<Axis>> read_dimensions(const std::string& src, const ojson& doc,
                                               SweepSpec& s) {
  std::vector<std::vector<Axis>> dims;
  auto add_key = [&](const std::string& at, const std::string& key) {
    if (std::find(s.swept_keys.begin(), s.swept_keys.end(), key) != s.swept_keys.end()) {
      bad(src, at, "parameter swept twice", ojson(key), "each parameter on one axis");
    }
    s.swept_keys.push_back(key);
  };
  if (doc.contains("axes")) {
    const ojson& axes = doc["axes"];
    if (!axes.is_object()) bad(src, "axes", "wrong type", axes, "an object of key: [values]");
    for (auto it = axes.begin(); it != axes.end(); ++it) {
      const std::string at = "axes." + it.key();
      dims.push_back({read_axis(src, at, it.key(), it.value())});
      add_key(at, it.key());
    }
  }
  if (doc.contains("zip")) {
    const ojson& zip = doc["zip"];
    if (!zip.is_array()) bad(src, "zip", "wrong type", zip, "a list of {key: [values]} groups");
    for (std::size_t g = 0; g < zip.size(); ++g) {
      const std::string gat = "zip[" + std::to_string(g) + "]";
      if (!zip[g].is_object() || zip[g].empty()) {
        bad(src, gat, "wrong type", zip[g], "a non-empty object of key: [values]");
      }
      std::vector<Axis> group;
      for (auto it = zip[g].begin(); it != zip[g].end(); ++it) {
        const std::string at = gat + "." + it.key();
        group.push_back(read_axis(src, at, it.key(), it.value()));
        add_key(at, it.key());
        if (group.back().values.size() != group.front().values.size()) {
          bad(src, at, "zipped axes of different lengths", ojson(group.back().values.size()),
              std::to_string(group.front().values.size()) + " values, like " + gat + "." +
                  group.front().key);
        }
      }
      dims.push_back(std::move(group));
    }
  }

  return dims;
}

// 4. Filters.
std::vector<FilterExpr> read_filters(const std::string& src, const ojson& doc) {
  std::vector<FilterExpr> filters;
  if (doc.contains("filters")) {
    const ojson& f = doc["filters"];
    if (!f.is_array()) bad(src, "filters", "wrong type", f, "a list of expressions");
    for (std::size_t i = 0; i < f.size(); ++i) {
      const std::string at = src + ": filters[" + std::to_string(i) + "]";
      if (!f[i].is_string())
        bad(src, "filters[" + std::to_string(i) + "]", "wrong type", f[i], "a string");
      filters.emplace_back(f[i].get<std::string>(), at,
                           [&](const std::string& n) { return resolve_name(at, n); });
    }
  }

  return filters;
}

// 5. Enumerate: workloads outermost, then each dimension in spec order (the last varies fastest);
//    check every point's config and apply the filters.
void enumerate_points(const std::string& src, const std::vector<std::vector<Axis>>& dims,
                      const std::vector<FilterExpr>& filters, SweepSpec& s) {
  std::size_t per_workload = 1;
  for (const auto& d : dims) {
    per_workload *= d.front().values.size();
    if (per_workload * s.workloads.size() > kMaxSweepPoints) {
      throw_field_error(src, "axes", "too many points",
                        "more than " + std::to_string(kMaxSweepPoints),
                        "at most " + std::to_string(kMaxSweepPoints) + " before filters");
    }
  }
  s.enumerated = per_workload * s.workloads.size();
  const int width = std::max<int>(4, static_cast<int>(std::to_string(s.enumerated).size()));
  std::vector<std::size_t> at(dims.size(), 0);
  for (const auto& w : s.workloads) {
    for (std::size_t n = 0; n < per_workload; ++n) {
      std::size_t rest = n;
      for (std::size_t d = dims.size(); d-- > 0;) {
        at[d] = rest % dims[d].front().values.size();
        rest /= dims[d].front().values.size();
      }
      SweepPoint p;
      p.workload = w;
      for (std::size_t d = 0; d < dims.size(); ++d) {
        for (const Axis& a : dims[d]) {
          p.params.emplace_back(a.key, a.values[at[d]]);
          p.sources.push_back(a.sources[at[d]]);
        }
      }
      // Cross-field rules of every design's config (throws naming the axis values).
      const std::vector<SimConfig> cfgs = s.configs(p);
      bool keep = true;
      for (const auto& f : filters) {
        keep =
            keep && f.accepts([&](const std::string& key) { return cfgs.front().params.at(key); });
      }
      if (!keep) continue;
      p.index = static_cast<int>(s.points.size());
      std::string num = std::to_string(p.index);
      p.id = "p" +
             std::string(static_cast<std::size_t>(width) - std::min<std::size_t>(width, num.size()),
                         '0') +
             num;
      s.points.push_back(std::move(p));
    }
  }
  if (s.points.empty()) {
    throw_field_error(src, "filters", "no point passes the filters",
                      std::to_string(s.enumerated) + " points enumerated", "at least one point");
  }
}

}  // namespace

SweepSpec load_sweep_spec(const std::string& path, bool force_functional) {
  SweepSpec s;
  s.path = path;
  const std::string& src = path;
  const ojson doc = parse_ordered_json_text(read_text_file(path), path);
  if (!doc.is_object()) bad(src, "", "top level is not a JSON object", doc, "a sweep spec object");
  const std::vector<std::string> known = {"description", "base",     "set",        "workloads",
                                          "designs",     "baseline", "functional", "axes",
                                          "zip",         "filters"};
  for (auto it = doc.begin(); it != doc.end(); ++it) {
    if (std::find(known.begin(), known.end(), it.key()) == known.end()) {
      std::string all;
      for (const auto& k : known)
        all += (all.empty() ? "" : ", ") + k;
      bad(src, it.key(), "unknown key", ojson(it.key()), "one of " + all);
    }
  }
  const nlohmann::json base_doc = read_base(path, doc, s);
  read_workloads_and_designs(path, doc, force_functional, s);
  const std::vector<std::vector<Axis>> dims = read_dimensions(src, doc, s);
  const std::vector<FilterExpr> filters = read_filters(src, doc);
  enumerate_points(src, dims, filters, s);

  // 6. Identity: what the results depend on.
  nlohmann::json id = {{"spec", nlohmann::json::parse(doc.dump())},
                       {"base", base_doc},
                       {"functional", s.functional}};
  s.hash = fnv1a_hex(id.dump());
  return s;
}

std::string sweep_spec_schema() {
  return R"(A sweep spec is a JSON object (paths are relative to the spec file):

| key | type | required | meaning |
|---|---|---|---|
| `description` | string | no | free text |
| `base` | string or object | no | base config: a config file, or an inline config object (default: built-in defaults) |
| `set` | object | no | `{"dotted.key": value}` applied to the base, like `--set` |
| `workloads` | list of strings | yes | built-in network names or network files |
| `designs` | list of strings | yes | MAC designs to run at every point, as `compare --designs` takes them: `elp`, `fixed` (as configured), `elp4`..`elp8` (and `-serial`), `elp3v2`..`elp8v2`, `elp3v2l`..`elp8v2l`, `fixed2`..`fixed16`, each optionally with `@design.KEY=VALUE` settings of its own (e.g. `fixed8@design.accumulator_bits=24`); a design's settings win over the axes |
| `baseline` | string | no | the design the ratio columns are taken against (default: the last of `designs`) |
| `functional` | bool | no | simulate values and check them bit for bit (default false: timing, traffic, energy) |
| `axes` | object | no | `{"dotted.key": [values]}`: cartesian product, the last key varying fastest |
| `zip` | list of objects | no | each `{"key1": [...], "key2": [...]}` steps its keys together (equal lengths); crossed with the axes |
| `filters` | list of strings | no | keep points where every expression is true, e.g. `"rows * cols <= 4096"` |

Any config parameter (`config --schema`) can be an axis or zipped key, except `design.mac`
(use `designs`). Filter expressions: numbers, "strings", parameter names (a dotted key, or its
last part when unique), + - * / %, < <= > >= == !=, && || !, parentheses.
)";
}

}  // namespace conloc
