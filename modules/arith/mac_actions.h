#pragma once

#include <cstdint>

namespace conloc {

// Actions of MAC operations, counted per operation from the actual weight: a zero weight gates
// the datapath and a one-digit ELP_BSD weight uses one term. Summed over a layer they become the
// PE array's arithmetic energy (see MacCellModel).
struct MacActions {
  std::uint64_t ops = 0;          // MAC operations issued (gated ones included)
  std::uint64_t gated = 0;        // operations with a zero weight: datapath not clocked
  std::uint64_t mults = 0;        // array-multiplier uses (fixed point)
  std::uint64_t base_shifts = 0;  // first-term barrel-shifter uses (ELP_BSD)
  std::uint64_t gap_shifts = 0;   // later-term shifter uses (ELP_BSD)
  std::uint64_t negates = 0;      // conditional negations (ELP_BSD)
  std::uint64_t term_adds = 0;    // narrow adds combining terms (ELP_BSD, parallel)
  // Term adds a weight of fewer terms than the MAC has passes its sum through: a parallel-term
  // MAC's term adders sit in the path whatever the weight, so a one-term weight's shifted
  // activation still switches them (measured at gate level, docs/rtl.md).
  std::uint64_t term_passes = 0;
  // Term-serial operations of more than one term, and their cycles: the shared shifter's amount
  // and input alternate every cycle, so these cycles switch as on random operands (measured at
  // gate level, docs/rtl.md), not as a held weight's.
  std::uint64_t switching_ops = 0, switching_cycles = 0;
  std::uint64_t acc_adds = 0;   // accumulator-width adds
  std::uint64_t reg_loads = 0;  // shifted-activation register loads (ELP_BSD, term-serial)
  std::uint64_t cycles = 0;     // datapath cycles (term-serial: one per enabled term, min 1)

  MacActions& operator+=(const MacActions& o);
  MacActions& operator-=(const MacActions& o);
  MacActions scaled(std::uint64_t k) const;
};

// Every count of MacActions, once: the arithmetic below walks this list, so a count added to the
// struct is added, subtracted, scaled and compared by adding it here (the size check catches one
// left out).
inline constexpr std::uint64_t MacActions::*kMacActionCounts[] = {
    &MacActions::ops,           &MacActions::gated,
    &MacActions::mults,         &MacActions::base_shifts,
    &MacActions::gap_shifts,    &MacActions::negates,
    &MacActions::term_adds,     &MacActions::term_passes,
    &MacActions::switching_ops, &MacActions::switching_cycles,
    &MacActions::acc_adds,      &MacActions::reg_loads,
    &MacActions::cycles};
static_assert(sizeof(kMacActionCounts) / sizeof(kMacActionCounts[0]) * sizeof(std::uint64_t) ==
                  sizeof(MacActions),
              "a MacActions count is missing from kMacActionCounts");

inline MacActions& MacActions::operator+=(const MacActions& o) {
  for (auto c : kMacActionCounts)
    this->*c += o.*c;
  return *this;
}
inline MacActions& MacActions::operator-=(const MacActions& o) {
  for (auto c : kMacActionCounts)
    this->*c -= o.*c;
  return *this;
}
inline MacActions MacActions::scaled(std::uint64_t k) const {
  MacActions r = *this;
  for (auto c : kMacActionCounts)
    r.*c *= k;
  return r;
}
inline bool operator==(const MacActions& a, const MacActions& b) {
  for (auto c : kMacActionCounts) {
    if (a.*c != b.*c) return false;
  }
  return true;
}

// Mean bits that change between consecutive operations of a weight-stationary PE in a real
// layer, each over its width: the activation operand, the partial sum arriving from the PE above,
// and the product (or term sum) the accumulator adds to it. The datapath's switching follows them
// (EnergyModel, docs/energy.md). All 0: not measured (a timing-only compile has no activations).
struct OperandToggles {
  double activation = 0, psum = 0, product = 0;
  bool measured() const { return activation > 0 || psum > 0 || product > 0; }
};

// One sampled weight-stationary PE: the weight code it holds (and whether that weight is zero)
// and its own mean operand toggles. A characterised MAC energy (sim/energy/mac_characterisation.h)
// is a function of the code and these three rates, so it is applied PE by PE.
struct PeToggles {
  std::uint32_t code = 0;
  bool zero_weight = false;
  OperandToggles toggles;
};

// Two's-complement wrap of v to `bits` bits: the accumulator is a plain adder of that width, so
// overflow wraps modulo 2^bits. Wrapping is a ring homomorphism, so wrapping once at the end of a
// sum equals wrapping after every add, which lets fast paths accumulate wide and wrap last.
inline std::int64_t wrap_to_bits(std::int64_t v, int bits) {
  if (bits >= 64) return v;
  const std::uint64_t mask = (std::uint64_t{1} << bits) - 1;
  std::uint64_t u = static_cast<std::uint64_t>(v) & mask;
  if (u >> (bits - 1)) u |= ~mask;
  return static_cast<std::int64_t>(u);
}

}  // namespace conloc
