#pragma once

#include <cstdint>
#include <utility>

#include "modules/arith/elp_bsd_format.h"
#include "modules/arith/mac_model.h"

namespace conloc {

enum class ElpMacVariant { Parallel, TermSerial };

// Shift-and-add MAC driven by ELP_BSD code fields (docs/elp_bsd.md, "MAC datapath"):
//   x1 = a << P                 (barrel shifter; its control bits are the P field)
//   xj = x(j-1) << (Gj + 1)     (barrel shifter on Gj; the +1 is wiring)
//   acc += (sum of enabled +-xj) >> 1   (bit 0 of every enabled xj is 0 because P >= 1)
// Parallel: all terms in one cycle (k-1 narrow term adds, one accumulator add).
// Term-serial: one term per cycle into the accumulator, x held in a shift register.
// Both wrap to accumulator_bits; the result always equals acc + a * decode(code).
class ElpBsdMac final : public MacModel {
 public:
  ElpBsdMac(ElpBsdFormat format, ElpMacVariant variant, MacWidths widths);

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
  MacActions switching_actions(const MacActions& a) const override;
  const MacWidths& widths() const override { return widths_; }

  // Bits of a shifted activation term (sign included).
  int term_bits() const;
  const ElpBsdFormat& format() const { return format_; }
  ElpMacVariant variant() const { return variant_; }

 private:
  ElpBsdFormat format_;
  ElpMacVariant variant_;
  MacWidths widths_;
  LevelQuantizer quantizer_;
};

}  // namespace conloc
