#include "modules/arith/fixed_point_mac.h"

#include "modules/base/error.h"

namespace conloc {

FixedPointMac::FixedPointMac(int weight_bits, MacWidths widths, int datapath_bits)
    : weight_bits_(weight_bits),
      datapath_bits_(datapath_bits > 0 ? datapath_bits : weight_bits),
      widths_(widths),
      quantizer_(LevelQuantizer::fixed_point(weight_bits)) {
  CONLOC_ASSERT(widths.accumulator_bits >= 2 && widths.accumulator_bits <= 63, "FixedPointMac",
                "accumulator width out of range");
  CONLOC_ASSERT(datapath_bits_ >= weight_bits_ && datapath_bits_ <= 16, "FixedPointMac",
                "the datapath must hold the weights");
}

std::uint32_t FixedPointMac::pe_code(std::uint32_t code) const {
  return static_cast<std::uint32_t>(wrap_to_bits(code, weight_bits_)) &
         ((1u << datapath_bits_) - 1u);
}

std::uint32_t FixedPointMac::encode(std::int32_t level) const {
  const std::int32_t m = quantizer_.max_level();
  if (level < -m || level > m) {
    throw UserError(field_error(name(), "level", "value is not representable",
                                std::to_string(level),
                                "[-" + std::to_string(m) + ", " + std::to_string(m) + "]"));
  }
  return static_cast<std::uint32_t>(level) & ((1u << weight_bits_) - 1u);
}

std::int32_t FixedPointMac::decode(std::uint32_t code) const {
  if (code >= (1u << weight_bits_) || code == (1u << (weight_bits_ - 1))) {
    throw UserError(field_error(name(), "code " + std::to_string(code),
                                code >= (1u << weight_bits_)
                                    ? "invalid code: wider than the format"
                                    : "invalid code: the most negative value is outside the "
                                      "symmetric range"));
  }
  return static_cast<std::int32_t>(wrap_to_bits(code, weight_bits_));
}

std::int64_t FixedPointMac::mac(std::int64_t acc, std::int32_t a, std::uint32_t code) const {
  const std::int32_t w = decode(code);
  if (w == 0) return wrap_to_bits(acc, widths_.accumulator_bits);
  return wrap_to_bits(acc + static_cast<std::int64_t>(a) * w, widths_.accumulator_bits);
}

MacActions FixedPointMac::actions(std::uint32_t code) const {
  MacActions a;
  a.ops = 1;
  a.cycles = 1;
  if (code == 0) {
    a.gated = 1;
    return a;
  }
  a.mults = 1;
  a.acc_adds = 1;
  return a;
}

CellCounts FixedPointMac::cells(const MacActions& a) const {
  CellCounts c;
  c += mult_cells(widths_.activation_operand_bits(), datapath_bits_) * static_cast<double>(a.mults);
  c += add_cells(widths_.accumulator_bits) * static_cast<double>(a.acc_adds);
  c.and2 += static_cast<double>(a.ops) * datapath_bits_;  // zero detect
  return c;
}

}  // namespace conloc
