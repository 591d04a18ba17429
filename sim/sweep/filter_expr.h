#pragma once

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

namespace conloc {

// A sweep filter such as `rows * cols <= 4096 && dataflow == "ws"`: numbers, quoted strings,
// parameter names, + - * / %, comparisons, && || !, parentheses. A parameter name is a dotted
// config key or, when unambiguous, its last part (`rows` for `array.rows`). Parsed once; every
// error (syntax, unknown name, type) is a UserError naming `source`.
class FilterExpr {
 public:
  // `resolve` maps a name as written to the full parameter key, or throws a UserError.
  FilterExpr(const std::string& text, const std::string& source,
             const std::function<std::string(const std::string&)>& resolve);
  ~FilterExpr();
  FilterExpr(FilterExpr&&) noexcept;
  FilterExpr& operator=(FilterExpr&&) noexcept;

  // True when the point passes; `value_of` gives a parameter's value at the point. A type error
  // (a string where a number is needed, or a non-boolean result) is a UserError naming `source`.
  bool accepts(const std::function<nlohmann::json(const std::string&)>& value_of) const;

  const std::string& text() const { return text_; }

  struct Node;

 private:
  std::string text_;
  std::string source_;
  std::unique_ptr<Node> root_;
};

}  // namespace conloc
