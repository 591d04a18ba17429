#include "modules/arith/elp_bsd_mac.h"

#include <algorithm>

#include "modules/base/error.h"

namespace conloc {

ElpBsdMac::ElpBsdMac(ElpBsdFormat format, ElpMacVariant variant, MacWidths widths)
    : format_(std::move(format)),
      variant_(variant),
      widths_(widths),
      quantizer_(format_.levels()) {}

int ElpBsdMac::term_bits() const {
  return widths_.activation_operand_bits() + format_.max_position() + 1;
}

std::int64_t ElpBsdMac::mac(std::int64_t acc, std::int32_t a, std::uint32_t code) const {
  format_.decode(code);  // rejects invalid codes with the reason
  const ElpBsdFields f = format_.fields(code);
  const int acc_bits = widths_.accumulator_bits;
  if (!f.enabled[0]) return wrap_to_bits(acc, acc_bits);
  // Multiplications by powers of two are the shifts; they stay defined for negative a.
  std::int64_t x = static_cast<std::int64_t>(a) * (std::int64_t{1} << f.base_shift);
  if (variant_ == ElpMacVariant::Parallel) {
    std::int64_t sum = 0;
    for (int j = 0; j < format_.params().terms && f.enabled[j]; ++j) {
      if (j > 0) x *= std::int64_t{1} << (f.gap[j] + 1);
      sum += f.negate[j] ? -x : x;
    }
    return wrap_to_bits(acc + sum / 2, acc_bits);  // sum is even: exact
  }
  for (int j = 0; j < format_.params().terms && f.enabled[j]; ++j) {
    if (j > 0) x *= std::int64_t{1} << (f.gap[j] + 1);
    acc = wrap_to_bits(acc + (f.negate[j] ? -x : x) / 2, acc_bits);
  }
  return acc;
}

MacActions ElpBsdMac::actions(std::uint32_t code) const {
  MacActions a;
  a.ops = 1;
  const int t = format_.terms_in(code);
  if (t == 0) {
    a.gated = 1;
    a.cycles = 1;
    return a;
  }
  a.base_shifts = 1;
  a.gap_shifts = static_cast<std::uint64_t>(t - 1);
  a.negates = static_cast<std::uint64_t>(t);
  if (variant_ == ElpMacVariant::Parallel) {
    a.term_adds = static_cast<std::uint64_t>(t - 1);
    a.term_passes = static_cast<std::uint64_t>(format_.params().terms - t);
    a.acc_adds = 1;
    a.cycles = 1;
  } else {
    a.acc_adds = static_cast<std::uint64_t>(t);
    a.reg_loads = static_cast<std::uint64_t>(t);
    a.cycles = static_cast<std::uint64_t>(t);
    if (t > 1) {
      a.switching_ops = 1;
      a.switching_cycles = static_cast<std::uint64_t>(t);
    }
  }
  return a;
}

CellCounts ElpBsdMac::cells(const MacActions& a) const {
  const auto& p = format_.params();
  const int width = term_bits();
  CellCounts c;
  // A barrel shifter is one row of 2:1 multiplexers per control bit.
  int base_stages = p.shift_bits;
  int gap_stages = p.gap_bits;
  if (variant_ == ElpMacVariant::TermSerial) {
    // One shared shifter: wide enough for either field, plus the row selecting the +1 wiring.
    base_stages = gap_stages = std::max(p.shift_bits, p.gap_bits) + 1;
  }
  c.mux2 += static_cast<double>(a.base_shifts) * base_stages * width;
  c.mux2 += static_cast<double>(a.gap_shifts) * gap_stages * width;
  c.xor2 += static_cast<double>(a.negates) * width;
  c += add_cells(width + 1) * static_cast<double>(a.term_adds);
  c += add_cells(widths_.accumulator_bits) * static_cast<double>(a.acc_adds);
  c.dff += static_cast<double>(a.reg_loads) * width;
  c.and2 += static_cast<double>(a.ops) * p.shift_bits;  // term-1 enable = OR of the P bits
  return c;
}

MacActions ElpBsdMac::switching_actions(const MacActions& a) const {
  // Each switching cycle is one shift through the shared shifter (the first of an operation the
  // base shift, the rest gap shifts), one negation, one accumulator add and one register load.
  MacActions s;
  s.base_shifts = a.switching_ops;
  s.gap_shifts = a.switching_cycles - a.switching_ops;
  s.negates = s.acc_adds = s.reg_loads = s.cycles = a.switching_cycles;
  return s;
}

CellCounts ElpBsdMac::pass_cells(const MacActions& a) const {
  return add_cells(term_bits() + 1) * static_cast<double>(a.term_passes);
}

}  // namespace conloc
