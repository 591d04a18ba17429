#include "modules/common/network.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>

#include "modules/base/error.h"

namespace conloc {

const char* to_string(Activation a) {
  switch (a) {
    case Activation::None:
      return "none";
    case Activation::Relu:
      return "relu";
    case Activation::Relu6:
      return "relu6";
    case Activation::HardSwish:
      return "hardswish";
    case Activation::HardSigmoid:
      return "hardsigmoid";
    case Activation::Sigmoid:
      return "sigmoid";
    case Activation::LeakyRelu:
      return "leakyrelu";
    case Activation::Gelu:
      return "gelu";
  }
  return "?";
}

std::string to_string(const TensorShape& s) {
  return std::to_string(s.h) + "x" + std::to_string(s.w) + "x" + std::to_string(s.c);
}

double activate(Activation a, double x, double alpha, double beta) {
  switch (a) {
    case Activation::None:
      return x;
    case Activation::Relu:
      return std::max(x, 0.0);
    case Activation::Relu6:
      return std::clamp(x, 0.0, 6.0);
    case Activation::HardSwish:
      return x * std::clamp(x / 6.0 + 0.5, 0.0, 1.0);
    case Activation::HardSigmoid:
      return std::clamp(alpha * x + beta, 0.0, 1.0);
    case Activation::Sigmoid:
      return 1.0 / (1.0 + std::exp(-x));
    case Activation::LeakyRelu:
      return x >= 0 ? x : alpha * x;
    case Activation::Gelu:
      return 0.5 * x * (1.0 + std::erf(x * 0.7071067811865476));
  }
  return x;
}

GemmShape Network::gemm(const Layer& l) const {
  GemmShape g;
  if (!l.on_pe_array()) return g;
  const TensorShape& in = in_shape(l);
  const TensorShape& out = out_shape(l);
  g.groups = l.groups;
  g.m = std::int64_t{out.h} * out.w;
  g.k = std::int64_t{l.kh} * l.kw * (in.c / l.groups);
  g.n = l.out_channels / l.groups;
  return g;
}

std::int64_t Network::weight_count(const Layer& l) const {
  const GemmShape g = gemm(l);
  return g.k * g.n * g.groups;
}

int Network::extra_sources() const {
  std::vector<bool> produced(tensors.size(), false);
  for (const auto& l : layers)
    produced[static_cast<std::size_t>(l.output)] = true;
  int n = 0;
  for (std::size_t t = 1; t < tensors.size(); ++t)
    n += !produced[t];
  return n;
}

std::int64_t Network::macs() const {
  std::int64_t total = 0;
  for (const auto& l : layers)
    total += gemm(l).macs();
  return total;
}

double act_output(const Layer& l, double x) {
  return l.gain * activate(l.act, x, l.alpha, l.beta) + l.offset;
}

bool act_output_signed(const Layer& l, bool in_signed) {
  // The function's range over the inputs' sign, then the affine.
  const double inf = std::numeric_limits<double>::infinity();
  double lo = 0.0, hi = inf;
  switch (l.act) {
    case Activation::None:
      lo = in_signed ? -inf : 0.0;
      break;
    case Activation::Relu:
      break;
    case Activation::Relu6:
      hi = 6.0;
      break;
    case Activation::HardSwish:
      lo = in_signed ? -0.375 : 0.0;
      break;
    case Activation::HardSigmoid:
    case Activation::Sigmoid:
      hi = 1.0;
      break;
    case Activation::LeakyRelu:
      lo = in_signed && l.alpha > 0 ? -inf : 0.0;
      break;
    case Activation::Gelu:
      lo = in_signed ? -0.1700 : 0.0;  // its minimum, -0.16997 at x = -0.7518
      break;
  }
  return std::min(l.gain * lo, l.gain * hi) + l.offset < 0.0;
}

}  // namespace conloc
