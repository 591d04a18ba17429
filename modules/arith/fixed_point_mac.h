#pragma once

#include <cstdint>

#include "modules/arith/mac_model.h"

namespace conloc {

// The baseline: acc + a * w with an a x w array multiplier and an accumulator-width adder.
// Weights are symmetric two's-complement codes of weight_bits bits (|w| <= 2^(bits-1) - 1; the
// most negative code is invalid). The result wraps to accumulator_bits. A zero weight gates the
// multiplier and the adder (operand isolation); the zero detect costs weight_bits AND-equivalents
// on every operation.
// A multi-precision PE (design.layer_formats): weights of weight_bits stored and moved at that
// width, sign-extended into a multiplier of datapath_bits (the PE's own weight width), so a layer
// of narrower weights costs that PE's operations on its small values (docs/optimize.md).
class FixedPointMac final : public MacModel {
 public:
  FixedPointMac(int weight_bits, MacWidths widths, int datapath_bits = 0);

  std::string name() const override { return "fixed" + std::to_string(weight_bits_); }
  std::string kind() const override { return "fixed"; }
  int code_bits() const override { return weight_bits_; }
  const LevelQuantizer& quantizer() const override { return quantizer_; }
  std::uint32_t encode(std::int32_t level) const override;
  std::int32_t decode(std::uint32_t code) const override;
  std::int64_t mac(std::int64_t acc, std::int32_t a, std::uint32_t code) const override;
  MacActions actions(std::uint32_t code) const override;
  CellCounts cells(const MacActions& a) const override;
  const MacWidths& widths() const override { return widths_; }
  int pe_code_bits() const override { return datapath_bits_; }
  std::uint32_t pe_code(std::uint32_t code) const override;
  int weight_register_bits() const override { return datapath_bits_; }

 private:
  int weight_bits_;
  int datapath_bits_;
  MacWidths widths_;
  LevelQuantizer quantizer_;
};

}  // namespace conloc
