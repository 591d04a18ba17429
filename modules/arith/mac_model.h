#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "modules/arith/cell_counts.h"
#include "modules/arith/level_quantizer.h"
#include "modules/arith/mac_actions.h"

namespace conloc {

// The two MAC designs the accelerator can be built with.
enum class MacKind { ElpBsd, FixedPoint };
inline const char* to_string(MacKind m) {
  return m == MacKind::ElpBsd ? "elp" : "fixed";
}

// Widths shared by both MAC kinds. Activations are signed (two's complement) or unsigned (after
// ReLU); the datapath is one bit wider for unsigned inputs so both fit the same signed datapath.
struct MacWidths {
  int activation_bits = 8;
  bool activation_signed = true;
  int accumulator_bits = 32;
  int activation_operand_bits() const { return activation_bits + (activation_signed ? 0 : 1); }
};

// A MAC design: its weight format (levels and stored code words) and its datapath (functional
// result, actions per operation, cells per action). One implementation per MAC kind.
class MacModel {
 public:
  virtual ~MacModel() = default;

  virtual std::string name() const = 0;  // e.g. "fixed8", "elp5"
  virtual std::string kind() const = 0;  // "fixed" or "elp_bsd"
  virtual int code_bits() const = 0;     // bits of one stored weight
  virtual const LevelQuantizer& quantizer() const = 0;

  // Stored code word of an integer weight level, and back. A level outside the format or an
  // invalid code is a UserError.
  virtual std::uint32_t encode(std::int32_t level) const = 0;
  virtual std::int32_t decode(std::uint32_t code) const = 0;

  // acc + a * decode(code), computed the way the datapath does it, wrapped to the accumulator.
  virtual std::int64_t mac(std::int64_t acc, std::int32_t a, std::uint32_t code) const = 0;
  // Actions of one operation with this weight.
  virtual MacActions actions(std::uint32_t code) const = 0;
  // Cells switched by a batch of actions.
  virtual CellCounts cells(const MacActions& a) const = 0;
  // Adders the actions pass a value through unchanged (term passes): cells in the path that
  // switch at a pass-through's activity, not an add's (EnergyModel, docs/energy.md).
  virtual CellCounts pass_cells(const MacActions& /*a*/) const { return {}; }
  // The part of `a` spent in cycles whose datapath switches as on random operands (a term-serial
  // MAC's cycles for weights of two or more terms, `switching_cycles`); none by default.
  virtual MacActions switching_actions(const MacActions& /*a*/) const { return {}; }

  virtual const MacWidths& widths() const = 0;

  // Cells switched each time a weight enters the PE array (a code decoder there; none by default).
  virtual CellCounts weight_fetch_cells() const { return {}; }
  // Cells switched once per layer before it runs (loading a per-layer decoder table).
  virtual CellCounts layer_setup_cells() const { return {}; }
  // Bits of the PE's weight register (the code word, or the decoder's output).
  virtual int weight_register_bits() const { return code_bits(); }
  // A stored code as the PE's datapath holds it (a narrower layer's code widened into a
  // multi-precision PE, design.layer_formats), and the width of those: what a MAC
  // characterisation indexes (sim/energy/mac_characterisation.h).
  virtual int pe_code_bits() const { return code_bits(); }
  virtual std::uint32_t pe_code(std::uint32_t code) const { return code; }
  // What a MAC characterisation keys a held PE code by: the code itself ("code"), or, where the
  // PE's decoder table is loaded per layer, the level it holds ("level": 2|v| + (v < 0)), since
  // one code index holds a different magnitude, and so a different datapath setting, in every
  // layer (docs/rtl.md, "Characterised MAC energy").
  virtual const char* energy_keyed_by() const { return "code"; }
  virtual std::uint32_t energy_key(std::uint32_t pe_code) const { return pe_code; }

  // The datapath cells of this design's costliest code (every other code uses a subset).
  CellCounts peak_cells() const {
    CellCounts worst;
    for (std::int32_t level : quantizer().levels()) {
      const CellCounts c = cells(actions(encode(level)));
      if (transistor_equivalents(c) > transistor_equivalents(worst)) worst = c;
    }
    return worst;
  }
  // Transistor-equivalents of one PE: its datapath (the cells its costliest code switches in one
  // cycle: a term-serial MAC reuses one term's hardware every cycle) plus its activation,
  // partial-sum and weight registers (what leaks, docs/energy.md).
  double pe_transistors() const {
    double datapath = 0;
    for (std::int32_t level : quantizer().levels()) {
      const MacActions a = actions(encode(level));
      const double per_cycle = transistor_equivalents(cells(a)) /
                               static_cast<double>(std::max<std::uint64_t>(1, a.cycles));
      datapath = std::max(datapath, per_cycle);
    }
    const MacWidths& w = widths();
    return datapath +
           24.0 * (w.activation_operand_bits() + w.accumulator_bits + weight_register_bits());
  }
};

// A MAC's encode() as a table over its levels: a layer's stored codes are its weight levels
// through this, so a compiled layer keeps the levels alone (CompiledLayer::wq) and whoever needs
// the codes (weight packing, decoder tables) makes the table once per layer.
class LevelCodes {
 public:
  explicit LevelCodes(const MacModel& mac) : offset_(mac.quantizer().max_level()) {
    codes_.assign(2 * static_cast<std::size_t>(offset_) + 1, 0);
    for (std::int32_t v : mac.quantizer().levels())
      codes_[static_cast<std::size_t>(v + offset_)] = mac.encode(v);
  }
  // The code of `level`, one of the MAC's levels.
  std::uint32_t operator()(std::int32_t level) const {
    return codes_[static_cast<std::size_t>(level + offset_)];
  }

 private:
  std::int32_t offset_;
  std::vector<std::uint32_t> codes_;
};

}  // namespace conloc
