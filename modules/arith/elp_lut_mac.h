#pragma once

#include <optional>

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
// A mixed design (design.layer_formats) runs a layer of another v2 format on the datapath of the
// PE's format `pe` (a loadable decoder: per_layer): codes of the layer's b bits are stored and
// moved at b bits and index the first 2^(b-1) - 1 entries of the PE's decoder table, which holds
// the layer's magnitudes in the PE's field layout (loaded once per layer); the layer's terms and
// positions must fit the PE's. The shifters, adders, registers and table are the PE's.
class ElpLutMac final : public MacModel {
 public:
  ElpLutMac(ElpLutFormat format, MacWidths widths, std::optional<ElpLutFormat> pe = {});

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
  int weight_register_bits() const override { return pe_.decoded_bits(); }
  int pe_code_bits() const override { return pe_.code_bits(); }
  std::uint32_t pe_code(std::uint32_t code) const override;
  const char* energy_keyed_by() const override { return loads_table() ? "level" : "code"; }
  std::uint32_t energy_key(std::uint32_t pe_code) const override;

  int term_bits() const { return widths_.activation_operand_bits() + pe_.max_position() + 1; }
  const ElpLutFormat& format() const { return format_; }
  // The PE's format: its datapath and decoder (the layer's own format unless it runs on another).
  const ElpLutFormat& pe_format() const { return pe_; }
  // The decoder is loaded per layer: a per-layer level set, or a layer on another format's PE.
  bool loads_table() const { return format_.params().per_layer || hosted_; }

 private:
  ElpLutFormat format_;
  ElpLutFormat pe_;
  bool hosted_;
  MacWidths widths_;
  LevelQuantizer quantizer_;
};

}  // namespace conloc
