#include <algorithm>
#include <gtest/gtest.h>
#include <string>

#include "modules/dataflow/dataflow_model.h"
#include "sim/common/rng.h"
#include "tests/support/systolic_stepper.h"

using namespace conloc;
using conloc::test::StepperResult;

namespace {

struct Case {
  int m, k, n, rows, cols;
  std::vector<std::int32_t> a, w;
  std::vector<int> cycles;  // per weight
};

Case random_case(Rng& rng, bool serial) {
  auto pick = [&](int lo, int hi) { return lo + static_cast<int>(rng.next() % (hi - lo + 1)); };
  Case c;
  c.m = pick(1, 37);
  c.k = pick(1, 37);
  c.n = pick(1, 37);
  c.rows = pick(1, 9);
  c.cols = pick(1, 9);
  c.a.resize(c.m * c.k);
  c.w.resize(c.k * c.n);
  c.cycles.assign(c.k * c.n, 1);
  for (auto& v : c.a)
    v = pick(-128, 255);
  for (auto& v : c.w)
    v = pick(-20, 20);
  if (serial) {
    for (auto& v : c.cycles)
      v = pick(1, 3);
  }
  return c;
}

std::vector<std::int64_t> gemm(const Case& c) {
  std::vector<std::int64_t> out(c.m * c.n, 0);
  for (int i = 0; i < c.m; ++i) {
    for (int j = 0; j < c.n; ++j) {
      for (int t = 0; t < c.k; ++t)
        out[i * c.n + j] += std::int64_t{c.a[i * c.k + t]} * c.w[t * c.n + j];
    }
  }
  return out;
}

TileGemm tile_of(const Case& c, const DataflowModel& df) {
  TileGemm g;
  g.m = c.m;
  g.k = c.k;
  g.n = c.n;
  if (std::string(df.name()) == "is") return g;  // single-cycle MACs only
  for (const auto& b : df.fold_blocks(c.m, c.k, c.n, {c.rows, c.cols})) {
    int s = 1;
    for (auto kk = b.k0; kk < b.k1; ++kk) {
      for (auto nn = b.n0; nn < b.n1; ++nn)
        s = std::max(s, c.cycles[kk * c.n + nn]);
    }
    g.fold_steps.push_back(s);
  }
  return g;
}

void check_many(const DataflowModel& df, bool serial, std::uint64_t seed,
                StepperResult (*stepper)(const std::vector<std::int32_t>&,
                                         const std::vector<std::int32_t>&, const std::vector<int>&,
                                         int, int, int, int, int)) {
  Rng rng(seed);
  for (int trial = 0; trial < 60; ++trial) {
    const Case c = random_case(rng, serial);
    const StepperResult ref = stepper(c.a, c.w, c.cycles, c.m, c.k, c.n, c.rows, c.cols);
    const TileTiming t = df.tile(tile_of(c, df), {c.rows, c.cols});
    ASSERT_EQ(t.cycles, ref.cycles)
        << df.name() << " trial " << trial << ": M=" << c.m << " K=" << c.k << " N=" << c.n
        << " array " << c.rows << "x" << c.cols;
    ASSERT_EQ(ref.out, gemm(c)) << "stepper dataflow computes the wrong values, trial " << trial;
  }
}

}  // namespace

TEST(Dataflow, WeightStationaryClosedFormMatchesCycleStepper) {
  check_many(WeightStationary(), false, 101, conloc::test::step_weight_stationary);
}

TEST(Dataflow, WeightStationaryTermSerialMatchesCycleStepper) {
  check_many(WeightStationary(), true, 102, conloc::test::step_weight_stationary);
}

TEST(Dataflow, OutputStationaryClosedFormMatchesCycleStepper) {
  check_many(OutputStationary(), false, 201, conloc::test::step_output_stationary);
}

TEST(Dataflow, OutputStationaryTermSerialMatchesCycleStepper) {
  check_many(OutputStationary(), true, 202, conloc::test::step_output_stationary);
}

TEST(Dataflow, InputStationaryClosedFormMatchesCycleStepper) {
  check_many(InputStationary(), false, 301, conloc::test::step_input_stationary);
}

// Full folds: the closed form is the standard fold model plus exactly the exposed first weight
// load (WS) or last drain (OS) -- the deliberate differences docs/timing.md explains.
TEST(Dataflow, FullFoldsDifferFromStandardModelOnlyByExposedLoadOrDrain) {
  TileGemm g;
  g.m = 100;
  g.k = 32;
  g.n = 48;
  const ArrayDims a{16, 16};
  const TileTiming ws = WeightStationary().tile(g, a);
  EXPECT_EQ(ws.folds, 2u * 3u);
  EXPECT_EQ(ws.standard_cycles, 6u * (100 + 16 + 16 - 2));
  EXPECT_EQ(ws.cycles, ws.standard_cycles + 16);
  g.m = 32;
  g.k = 100;
  const TileTiming os = OutputStationary().tile(g, a);
  EXPECT_EQ(os.folds, 2u * 3u);
  EXPECT_EQ(os.cycles, os.standard_cycles + 16);
}

TEST(Dataflow, AccessCountsPerDataflow) {
  TileGemm g;
  g.m = 10;
  g.k = 20;
  g.n = 30;
  g.first_k_chunk = false;
  const ArrayDims a{8, 16};
  const TileTiming ws = WeightStationary().tile(g, a);
  EXPECT_EQ(ws.weight_reads, 20u * 30);     // each weight enters the array once
  EXPECT_EQ(ws.input_reads, 10u * 20 * 2);  // inputs re-streamed per column fold
  EXPECT_EQ(ws.psum_writes, 10u * 30 * 3);  // one partial sum per row fold
  EXPECT_EQ(ws.psum_reads, 10u * 30 * 3);   // 2 within the tile + 1 from the earlier chunk
  const TileTiming os = OutputStationary().tile(g, a);
  EXPECT_EQ(os.weight_reads, 20u * 30 * 2);  // weights re-streamed per row fold
  EXPECT_EQ(os.input_reads, 10u * 20 * 2);
  EXPECT_EQ(os.psum_writes, 10u * 30);  // accumulated in place
  EXPECT_EQ(os.psum_reads, 10u * 30);
  const TileTiming is = InputStationary().tile(g, a);
  EXPECT_EQ(is.input_reads, 10u * 20);             // each input enters the array once
  EXPECT_EQ(is.weight_reads, 20u * 30 * 1);        // weights re-streamed per column fold (M = 10)
  EXPECT_EQ(is.psum_writes, 10u * 30 * 3);         // one partial sum per row fold
  EXPECT_EQ(is.psum_reads, 10u * 30 * 3);          // 2 within the tile + 1 from the earlier chunk
  EXPECT_EQ(is.act_reg_writes, 10u * 20);          // the stationary loads
  EXPECT_EQ(is.weight_reg_writes, 10u * 20 * 30);  // every weight passes every column
}

// Column accumulators (array.accumulator_entries): a WS tile streams M in chunks the
// accumulators hold; partial sums of every row fold stay there and reach the output buffer once,
// and each chunk reloads the fold weights. Checked against the fold sum written out here.
TEST(Dataflow, AccumulatorsKeepPartialSumsNextToTheArray) {
  TileGemm g;
  g.m = 100;
  g.k = 40;
  g.n = 20;
  const ArrayDims none{8, 8};
  const ArrayDims acc{8, 8, false, 32};
  const TileTiming plain = WeightStationary().tile(g, none);
  const TileTiming t = WeightStationary().tile(g, acc);
  const std::int64_t kf = 5, nf = 3, cu[3] = {8, 8, 4}, chunk[4] = {32, 32, 32, 4};
  std::uint64_t cycles = 8;  // the layer's first weight load (R_u = 8 rows)
  for (std::int64_t mc : chunk)
    for (std::int64_t j = 0; j < nf; ++j)
      cycles += static_cast<std::uint64_t>(kf * (mc + 8 + cu[j] - 2));
  EXPECT_EQ(t.cycles, cycles);
  EXPECT_EQ(t.folds, 4u * kf * nf);
  EXPECT_EQ(t.fold_slots, plain.fold_slots);     // the same MAC slots, cut differently
  EXPECT_EQ(t.psum_writes, 100u * 20);           // once per output
  EXPECT_EQ(t.psum_reads, 0u);                   // the first k-chunk: nothing to read back
  EXPECT_EQ(plain.psum_writes, 100u * 20 * kf);  // without: every row fold
  EXPECT_EQ(t.acc_writes, 100u * 20 * kf);
  EXPECT_EQ(t.acc_reads, 100u * 20 * (kf - 1));
  EXPECT_EQ(t.weight_reads, 4u * 40 * 20);  // weights re-enter the array per chunk
  EXPECT_EQ(t.input_reads, plain.input_reads);
  g.first_k_chunk = false;  // a later k-chunk adds to what the output buffer holds
  EXPECT_EQ(WeightStationary().tile(g, acc).psum_reads, 100u * 20);
  g.m = 32;  // fits: one chunk, the same cycles as without accumulators
  EXPECT_EQ(WeightStationary().tile(g, acc).cycles, WeightStationary().tile(g, none).cycles);
}

// Buffer ports at sub-byte and odd widths, by hand: each stream needs ceil(elements x bits / 8 /
// port bytes) cycles; the tile takes the longest of them and its compute cycles, and the excess
// is a port stall. 4-bit activations through 8 B/cycle: 3000 x 4 / 8 / 8 = 187.5 -> 188 cycles;
// 5-bit codes through 4 B/cycle: 1000 x 5 / 8 / 4 = 156.25 -> 157; 24-bit partial sums (600
// reads + 600 writes) through 16 B/cycle: 1200 x 3 / 16 = 225.
TEST(Dataflow, PortLimitsCountEachStreamAtItsWidth) {
  auto tile = [] {
    TileTiming t;
    t.cycles = 100;
    t.input_reads = 3000;
    t.weight_reads = 1000;
    t.psum_reads = 600;
    t.psum_writes = 600;
    return t;
  };
  PortLimits p;
  p.widths.activation_bits = 4;
  p.widths.code_bits = 5;
  p.widths.accumulator_bits = 24;
  struct Case {
    double input, weight, psum;
    std::uint64_t cycles;
  } cases[] = {{8, 0, 0, 188},  {0, 4, 0, 157}, {0, 0, 16, 225},
               {8, 4, 16, 225}, {0, 0, 0, 100}, {64, 64, 64, 100}};
  for (const Case& c : cases) {
    p.input_bytes = c.input;
    p.weight_bytes = c.weight;
    p.psum_bytes = c.psum;
    TileTiming t = tile();
    apply_port_limits(t, p);
    EXPECT_EQ(t.cycles, c.cycles) << c.input << " " << c.weight << " " << c.psum;
    EXPECT_EQ(t.port_stall_cycles, c.cycles - 100) << c.input << " " << c.weight << " " << c.psum;
  }
}
