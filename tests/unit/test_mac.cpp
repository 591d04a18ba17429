#include <gtest/gtest.h>

#include "modules/arith/elp_bsd_mac.h"
#include "modules/arith/fixed_point_mac.h"
#include "modules/base/error.h"

using namespace conloc;

namespace {

MacWidths widths(bool is_signed, int acc_bits = 32) {
  MacWidths w;
  w.activation_bits = 8;
  w.activation_signed = is_signed;
  w.accumulator_bits = acc_bits;
  return w;
}

std::vector<ElpBsdParams> formats() {
  auto v = ElpBsdFormat::presets();
  v.push_back({"k3", 3, 2, 1, 7});
  return v;
}

}  // namespace

// Every valid code x every 8-bit activation, signed and unsigned, both variants, several
// accumulator starting values: the shift-add result equals the integer product.
TEST(ElpBsdMac, ExhaustiveEqualsDecodedProduct) {
  for (const auto& p : formats()) {
    const ElpBsdFormat f(p);
    for (auto variant : {ElpMacVariant::Parallel, ElpMacVariant::TermSerial}) {
      for (bool is_signed : {true, false}) {
        const ElpBsdMac mac(f, variant, widths(is_signed));
        const int lo = is_signed ? -128 : 0, hi = is_signed ? 127 : 255;
        for (std::uint32_t c = 0; c < f.code_count(); ++c) {
          if (!f.is_valid(c)) continue;
          const std::int64_t w = f.decode(c);
          for (int a = lo; a <= hi; ++a) {
            for (std::int64_t acc : {std::int64_t{0}, std::int64_t{-12345}, std::int64_t{987654}}) {
              ASSERT_EQ(mac.mac(acc, a, c), acc + a * w) << p.name << " code " << c << " a " << a;
            }
          }
        }
      }
    }
  }
}

TEST(ElpBsdMac, InvalidCodeIsAnError) {
  const ElpBsdMac mac(ElpBsdFormat::preset("elp6"), ElpMacVariant::Parallel, widths(true));
  EXPECT_THROW(mac.mac(0, 3, 0b100000), UserError);
}

TEST(FixedPointMac, ExhaustiveEqualsProduct) {
  for (bool is_signed : {true, false}) {
    const FixedPointMac mac(8, widths(is_signed));
    const int lo = is_signed ? -128 : 0, hi = is_signed ? 127 : 255;
    for (std::uint32_t c = 0; c < 256; ++c) {
      if (c == 128) continue;  // -128 is outside the symmetric range
      const std::int64_t w = mac.decode(c);
      ASSERT_EQ(mac.encode(static_cast<std::int32_t>(w)), c);
      for (int a = lo; a <= hi; ++a)
        ASSERT_EQ(mac.mac(7, a, c), 7 + a * w);
    }
    EXPECT_THROW(mac.decode(128), UserError);
    EXPECT_THROW(mac.decode(256), UserError);
    EXPECT_THROW(mac.encode(128), UserError);
  }
}

TEST(Accumulator, WrapsTwosComplementAtConfiguredWidth) {
  EXPECT_EQ(wrap_to_bits(32767, 16), 32767);
  EXPECT_EQ(wrap_to_bits(32768, 16), -32768);
  EXPECT_EQ(wrap_to_bits(-32769, 16), 32767);
  EXPECT_EQ(wrap_to_bits(std::int64_t{1} << 31, 32), -(std::int64_t{1} << 31));
  const FixedPointMac fx(8, widths(true, 16));
  EXPECT_EQ(fx.mac(32767, 1, fx.encode(1)), -32768);
  const ElpBsdFormat f = ElpBsdFormat::preset("elp5");
  for (auto v : {ElpMacVariant::Parallel, ElpMacVariant::TermSerial}) {
    const ElpBsdMac m(f, v, widths(true, 16));
    EXPECT_EQ(m.mac(32767, 1, f.encode(1)), -32768);
    EXPECT_EQ(m.mac(-32768, 1, f.encode(-20)), 32768 - 20);
    // Wrapping once at the end equals wrapping after every add.
    std::int64_t acc = 0, wide = 0;
    for (int i = 0; i < 5000; ++i) {
      acc = m.mac(acc, 127, f.encode(20));
      wide += 127 * 20;
    }
    EXPECT_EQ(acc, wrap_to_bits(wide, 16));
  }
}

TEST(MacActions, FollowTheActualWeight) {
  const ElpBsdFormat f = ElpBsdFormat::preset("elp6");
  const ElpBsdMac par(f, ElpMacVariant::Parallel, widths(false));
  const ElpBsdMac ser(f, ElpMacVariant::TermSerial, widths(false));

  const auto z = par.actions(f.encode(0));
  EXPECT_EQ(z.gated, 1u);
  EXPECT_EQ(z.acc_adds + z.base_shifts + z.gap_shifts + z.negates, 0u);

  const auto one = par.actions(f.encode(-4));
  EXPECT_EQ(one.base_shifts, 1u);
  EXPECT_EQ(one.gap_shifts, 0u);
  EXPECT_EQ(one.negates, 1u);
  EXPECT_EQ(one.term_adds, 0u);
  EXPECT_EQ(one.acc_adds, 1u);
  EXPECT_EQ(one.cycles, 1u);

  const auto two = par.actions(f.encode(4 - 1));
  EXPECT_EQ(two.gap_shifts, 1u);
  EXPECT_EQ(two.term_adds, 1u);
  EXPECT_EQ(two.acc_adds, 1u);
  EXPECT_EQ(two.cycles, 1u);

  const auto s2 = ser.actions(f.encode(4 - 1));
  EXPECT_EQ(s2.cycles, 2u);
  EXPECT_EQ(s2.acc_adds, 2u);
  EXPECT_EQ(s2.term_adds, 0u);
  EXPECT_EQ(s2.reg_loads, 2u);
  EXPECT_EQ(ser.actions(f.encode(0)).cycles, 1u);

  const FixedPointMac fx(8, widths(false));
  EXPECT_EQ(fx.actions(fx.encode(0)).gated, 1u);
  EXPECT_EQ(fx.actions(fx.encode(0)).mults, 0u);
  EXPECT_EQ(fx.actions(fx.encode(-3)).mults, 1u);
}

TEST(MacCells, MoreTermsCostMoreCells) {
  const ElpBsdFormat f = ElpBsdFormat::preset("elp8");
  const ElpBsdMac mac(f, ElpMacVariant::Parallel, widths(false));
  auto total = [&](std::int32_t level) {
    const auto c = mac.cells(mac.actions(f.encode(level)));
    return c.adder_bits + c.mux2 + c.xor2 + c.dff;
  };
  EXPECT_EQ(total(0), 0.0);
  EXPECT_GT(total(8), 0.0);
  EXPECT_GT(total(8 + 32), total(8));
  // The datapath is 9 (unsigned 8-bit operand) + 7 (top position of elp8) + 1 bits wide.
  EXPECT_EQ(mac.term_bits(), 17);
  const auto c = mac.cells(mac.actions(f.encode(1)));
  EXPECT_EQ(c.mux2, 3.0 * 17);  // one 3-stage shifter
  EXPECT_EQ(c.xor2, 17.0);
  EXPECT_EQ(c.adder_bits, 32.0);
}
