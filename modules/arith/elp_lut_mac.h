#pragma once

#include "modules/arith/elp_lut_format.h"
#include "modules/arith/mac_model.h"

namespace conloc {

// The shift-and-add MAC of ELP_BSD v2 (docs/elp_bsd.md, section 7). A weight enters the PE array
// through the decoder (code -> per-term enable, sign, position) and the PE keeps the decoded
// fields; per operation, with t enabled terms (all in one cycle):
//   xj = a << position_j     (barrel shifter, position_bits stages, one per term)
//   acc += sum of +-xj       (conditional negation per term, t-1 term adds, one accumulator add)
// A zero weight (no term enabled) gates the datapath. Wraps to accumulator_bits; the result
// always equals acc + a * decode(code).
class ElpLutMac final : public MacModel {
 public:
  ElpLutMac(ElpLutFormat format, MacWidths widths);

  std::string name() const override { return format_.name(); }
  std::string kind() const override { return "elp_bsd"; }
  int code_bits() const override { return format_.code_bits(); }
  const LevelQuantizer& quantizer() const override { return quantizer_; }
  std::uint32_t encode(std::int32_t level) const override { return format_.encode(level); }
  std::int32_t decode(std::uint32_t code) const override { return format_.decode(code); }
  std::int64_t mac(std::int64_t acc, std::int32_t a, std::uint32_t code) const override;
  MacActions actions(std::uint32_t code) const override;
  CellCounts cells(const MacActions& a) const override;
  CellCounts pass_cells(const MacActions& a) const override;
  const MacWidths& widths() const override { return widths_; }
  CellCounts weight_fetch_cells() const override;
  CellCounts layer_setup_cells() const override;
  int weight_register_bits() const override { return format_.decoded_bits(); }

  int term_bits() const { return widths_.activation_operand_bits() + format_.max_position() + 1; }
  const ElpLutFormat& format() const { return format_; }

 private:
  ElpLutFormat format_;
  MacWidths widths_;
  LevelQuantizer quantizer_;
};

}  // namespace conloc
