#include "tests/support/param_values.h"

#include <cmath>

#include "modules/base/error.h"

namespace conloc::test {

std::vector<nlohmann::json> alternatives(const ParamSpec& p, const nlohmann::json& current) {
  std::vector<nlohmann::json> out;
  // A derived ("auto") parameter is varied to explicit values, and an explicit one back to auto.
  if (p.may_be_auto && current != "auto") out.push_back("auto");
  if (p.may_be_auto && current == "auto") {
    if (p.kind == ParamKind::String) {
      ParamSpec plain = p;
      plain.may_be_auto = false;
      return alternatives(plain, "");
    }
    for (double c : {p.min, p.max, std::floor((p.min + p.max) / 2)})
      out.push_back(p.kind == ParamKind::Int ? nlohmann::json(static_cast<std::int64_t>(c))
                                             : nlohmann::json(c));
    return out;
  }
  switch (p.kind) {
    case ParamKind::Choice:
      for (const auto& c : p.choices)
        if (c != current) out.push_back(c);
      break;
    case ParamKind::Int: {
      const double v = current.get<double>();
      for (double c :
           {p.power_of_two ? v * 2 : v + 1, p.power_of_two ? v / 2 : v - 1, p.min, p.max})
        if (c >= p.min && c <= p.max && c != v) out.push_back(static_cast<std::int64_t>(c));
      break;
    }
    case ParamKind::Real: {
      const double v = current.get<double>();
      for (double c : {v * 0.9, v * 1.1, v + 0.5, p.min, p.max})
        if (c >= p.min && c <= p.max && c != v) out.push_back(c);
      break;
    }
    case ParamKind::String:
      // The string parameters: an energy table, an explicit v2 level set (elp4v2's size) and
      // per-layer formats (layer conv1 of tinycnn, on a fixed-point design).
      for (const char* c : {"horowitz45", "1,2,3,4,6,8,12", "1,2,3,4,5,6,8", "conv1=fixed4"})
        if (c != current) out.push_back(c);
      break;
    case ParamKind::Bool:
      out.push_back(!current.get<bool>());
      break;
  }
  return out;
}

std::optional<std::pair<SimConfig, nlohmann::json>> moved(const SimConfig& base,
                                                          const ParamSpec& p) {
  for (const nlohmann::json& v : alternatives(p, base.params.at(p.path))) {
    try {
      return std::make_pair(base.with({{p.path, v, "test"}}), v);
    } catch (const UserError&) {
      // a value this configuration refuses: try the next
    }
  }
  return std::nullopt;
}

}  // namespace conloc::test
