#include "sim/sweep/filter_expr.h"

#include <cctype>
#include <cmath>
#include <variant>
#include <vector>

#include "modules/base/error.h"

namespace conloc {

using Value = std::variant<double, std::string, bool>;

struct FilterExpr::Node {
  enum Kind { Number, String, Param, Unary, Binary } kind = Number;
  double number = 0;
  std::string text;  // string literal, parameter key or operator
  std::unique_ptr<Node> a, b;
};

namespace {

using Node = FilterExpr::Node;

class Parser {
 public:
  Parser(const std::string& text, const std::string& source,
         const std::function<std::string(const std::string&)>& resolve)
      : s_(text), source_(source), resolve_(resolve) {}

  std::unique_ptr<Node> parse() {
    auto n = parse_or();
    skip();
    if (pos_ != s_.size()) fail("unexpected '" + s_.substr(pos_, 1) + "'");
    return n;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw_field_error(source_, "",
                      "bad filter expression: " + what + " at column " + std::to_string(pos_ + 1),
                      "\"" + s_ + "\"", "e.g. \"array.rows * array.cols <= 4096\"");
  }
  void skip() {
    while (pos_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[pos_])))
      ++pos_;
  }
  bool eat(const std::string& op) {
    skip();
    if (s_.compare(pos_, op.size(), op) != 0) return false;
    // "<" must not match the start of "<=", nor "=" of "==".
    pos_ += op.size();
    return true;
  }
  static std::unique_ptr<Node> binary(std::string op, std::unique_ptr<Node> a,
                                      std::unique_ptr<Node> b) {
    auto n = std::make_unique<Node>();
    n->kind = Node::Binary;
    n->text = std::move(op);
    n->a = std::move(a);
    n->b = std::move(b);
    return n;
  }
  std::unique_ptr<Node> parse_or() {
    auto n = parse_and();
    while (eat("||"))
      n = binary("||", std::move(n), parse_and());
    return n;
  }
  std::unique_ptr<Node> parse_and() {
    auto n = parse_cmp();
    while (eat("&&"))
      n = binary("&&", std::move(n), parse_cmp());
    return n;
  }
  std::unique_ptr<Node> parse_cmp() {
    auto n = parse_sum();
    for (const char* op : {"<=", ">=", "==", "!=", "<", ">"}) {
      if (eat(op)) return binary(op, std::move(n), parse_sum());
    }
    return n;
  }
  std::unique_ptr<Node> parse_sum() {
    auto n = parse_prod();
    for (;;) {
      if (eat("+")) {
        n = binary("+", std::move(n), parse_prod());
      } else if (eat("-")) {
        n = binary("-", std::move(n), parse_prod());
      } else {
        return n;
      }
    }
  }
  std::unique_ptr<Node> parse_prod() {
    auto n = parse_unary();
    for (;;) {
      if (eat("*")) {
        n = binary("*", std::move(n), parse_unary());
      } else if (eat("/")) {
        n = binary("/", std::move(n), parse_unary());
      } else if (eat("%")) {
        n = binary("%", std::move(n), parse_unary());
      } else {
        return n;
      }
    }
  }
  std::unique_ptr<Node> parse_unary() {
    skip();
    if (pos_ < s_.size() && (s_[pos_] == '-' || (s_[pos_] == '!' && s_.compare(pos_, 2, "!=")))) {
      auto n = std::make_unique<Node>();
      n->kind = Node::Unary;
      n->text = std::string(1, s_[pos_++]);
      n->a = parse_unary();
      return n;
    }
    return parse_atom();
  }
  std::unique_ptr<Node> parse_atom() {
    skip();
    if (pos_ >= s_.size()) fail("expression ends early");
    auto n = std::make_unique<Node>();
    const char c = s_[pos_];
    if (c == '(') {
      ++pos_;
      n = parse_or();
      if (!eat(")")) fail("missing ')'");
      return n;
    }
    if (std::isdigit(static_cast<unsigned char>(c)) || c == '.') {
      std::size_t used = 0;
      try {
        n->number = std::stod(s_.substr(pos_), &used);
      } catch (const std::exception&) {
        fail("bad number");
      }
      pos_ += used;
      return n;
    }
    if (c == '"' || c == '\'') {
      const std::size_t end = s_.find(c, pos_ + 1);
      if (end == std::string::npos) fail("unterminated string");
      n->kind = Node::String;
      n->text = s_.substr(pos_ + 1, end - pos_ - 1);
      pos_ = end + 1;
      return n;
    }
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      const std::size_t start = pos_;
      while (pos_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[pos_])) ||
                                  s_[pos_] == '_' || s_[pos_] == '.'))
        ++pos_;
      n->kind = Node::Param;
      n->text = resolve_(s_.substr(start, pos_ - start));
      return n;
    }
    fail("unexpected '" + std::string(1, c) + "'");
  }

  const std::string& s_;
  const std::string& source_;
  const std::function<std::string(const std::string&)>& resolve_;
  std::size_t pos_ = 0;
};

struct Evaluator {
  const std::string& text;
  const std::string& source;
  const std::function<nlohmann::json(const std::string&)>& value_of;

  [[noreturn]] void type_error(const std::string& what) const {
    throw_field_error(source, "", "filter cannot be evaluated: " + what, "\"" + text + "\"");
  }
  double num(const Value& v, const std::string& op) const {
    if (const double* d = std::get_if<double>(&v)) return *d;
    type_error("'" + op + "' needs numbers");
  }
  bool boolean(const Value& v, const std::string& op) const {
    if (const bool* b = std::get_if<bool>(&v)) return *b;
    type_error("'" + op + "' needs true/false operands (comparisons)");
  }
  Value eval(const Node& n) const {
    switch (n.kind) {
      case Node::Number:
        return n.number;
      case Node::String:
        return n.text;
      case Node::Param: {
        const nlohmann::json v = value_of(n.text);
        if (v.is_number()) return v.get<double>();
        if (v.is_boolean()) return v.get<bool>();
        if (v.is_string()) return v.get<std::string>();
        type_error(n.text + " has no value");
      }
      case Node::Unary:
        if (n.text == "-") return -num(eval(*n.a), "-");
        return !boolean(eval(*n.a), "!");
      case Node::Binary:
        break;
    }
    const std::string& op = n.text;
    if (op == "&&") return boolean(eval(*n.a), op) && boolean(eval(*n.b), op);
    if (op == "||") return boolean(eval(*n.a), op) || boolean(eval(*n.b), op);
    const Value a = eval(*n.a), b = eval(*n.b);
    if (op == "==" || op == "!=") {
      if (a.index() != b.index()) type_error("'" + op + "' compares a string with a number");
      return (a == b) == (op == "==");
    }
    const double x = num(a, op), y = num(b, op);
    if (op == "<") return x < y;
    if (op == "<=") return x <= y;
    if (op == ">") return x > y;
    if (op == ">=") return x >= y;
    if (op == "+") return x + y;
    if (op == "-") return x - y;
    if (op == "*") return x * y;
    if (y == 0) type_error("division by zero");
    if (op == "/") return x / y;
    return std::fmod(x, y);
  }
};

}  // namespace

FilterExpr::FilterExpr(const std::string& text, const std::string& source,
                       const std::function<std::string(const std::string&)>& resolve)
    : text_(text), source_(source), root_(Parser(text_, source_, resolve).parse()) {}

FilterExpr::~FilterExpr() = default;
FilterExpr::FilterExpr(FilterExpr&&) noexcept = default;
FilterExpr& FilterExpr::operator=(FilterExpr&&) noexcept = default;

bool FilterExpr::accepts(const std::function<nlohmann::json(const std::string&)>& value_of) const {
  const Evaluator ev{text_, source_, value_of};
  const Value v = ev.eval(*root_);
  if (const bool* b = std::get_if<bool>(&v)) return *b;
  ev.type_error("the result is not true/false (a comparison)");
}

}  // namespace conloc
