// One layer's energy breakdown computed by hand from the Horowitz table's published anchors and
// the layer's shape, against the simulator (docs/energy.md, "A layer by hand").
#include <array>
#include <cmath>
#include <fstream>
#include <gtest/gtest.h>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <tuple>

#include "modules/common/network.h"
#include "modules/layers/network_builder.h"
#include "sim/config/sim_config.h"
#include "sim/design/mac_factory.h"
#include "sim/energy/energy_cost.h"
#include "sim/energy/energy_model.h"
#include "sim/energy/energy_table.h"
#include "sim/energy/operand_stream.h"
#include "sim/quant/compiler.h"
#include "sim/rtl/mac_rtl.h"
#include "sim/run/pipeline.h"
#include "sim/workload/workload.h"

using namespace conloc;

namespace {

// The Horowitz table's anchors, read from the JSON file itself (not through the model), and the
// per-cell and per-bit energies the by-hand tests derive from them.
struct Horowitz {
  explicit Horowitz(const std::string& path) {
    std::ifstream f(path);
    const nlohmann::json t = nlohmann::json::parse(f)["constants"];
    auto v = [&](const char* k) { return t[k]["value"].get<double>(); };
    fa = (v("add_32b") - v("add_8b")) / 24.0;  // per full-adder bit
    add_op = v("add_8b") - 8 * fa;
    mult_cell = (v("mult_32b") - v("mult_8b")) / (32.0 * 32 - 8 * 8);
    mult_op = v("mult_8b") - 64 * mult_cell;
    dff = v("dff_to_fa") * fa;
    mux2 = v("mux2_to_fa") * fa;
    and2 = v("and2_to_fa") * fa;
    // A 64 KiB buffer: per bit, log-log between the 32 KiB and 1 MiB 64-bit reads.
    const double e32k = v("sram_read_64b_32kib") / 64, e1m = v("sram_read_64b_1mib") / 64;
    sram = e32k * std::pow(e1m / e32k, (16.0 - 15.0) / (20.0 - 15.0));
    dram = v("dram_per_bit");
  }
  double add(int bits) const { return add_op + bits * fa; }
  double mult(int a, int w) const { return mult_op + a * w * mult_cell; }
  double fa = 0, add_op = 0, mult_cell = 0, mult_op = 0, dff = 0, mux2 = 0, and2 = 0, sram = 0,
         dram = 0;
};

}  // namespace

TEST(EnergyByHand, OneConvLayerOnTheHorowitzTable) {
  // A 3 x 3 convolution, 16 -> 16 channels, on a 6 x 6 input without padding: one tile on the
  // 16 x 16 weight-stationary array (M = 16 pixels, K = 144, N = 16), fixed8 MACs.
  NetworkBuilder b("hand", {6, 6, 16}, "test");
  b.conv("conv", b.input(), 16, 3, 1, 0, Activation::None);
  const SimConfig cfg =
      load_sim_config(std::nullopt, {"design.mac=fixed", "mapping.search=greedy",
                                     "energy.table=horowitz45", "dram.technology=table"});
  const CompiledNetwork cn =
      compile_network(b.build(), compile_spec(cfg, true), SyntheticWeights(5));
  const EnergyModel em(EnergyTable::load(cfg.energy_table_path));
  const auto runs = run_simulations({{&cfg, &cn, true}}, em);
  ASSERT_EQ(runs.size(), 1u);
  ASSERT_EQ(runs[0].mismatches, 0);
  const EnergyBreakdown& sim = runs[0].rows[0].energy;

  const Horowitz h(cfg.energy_table_path);
  const double dff = h.dff, mux2 = h.mux2, and2 = h.and2, sram = h.sram, dram = h.dram;
  auto add = [&](int bits) { return h.add(bits); };
  auto mult = [&](int a, int w) { return h.mult(a, w); };

  // The tile, by hand: 9 row folds of 16 rows, one column fold.
  const double M = 16, K = 144, N = 16, kf = 9, ops = M * K * N, outputs = M * N;
  double zeros = 0;
  for (auto w : cn.layers[0].wq)
    zeros += w == 0;
  const double mults = ops - M * zeros;  // a zero weight gates its multiply and add
  const int a_bits = 8 + (cn.layers[0].in_signed ? 0 : 1);
  EXPECT_NEAR(sim.mac, mults * (mult(a_bits, 8) + add(32)) + ops * 8 * and2, 1e-6 * sim.mac);
  // Registers: every MAC writes its activation and partial-sum registers; each weight is loaded
  // into its PE once.
  EXPECT_NEAR(sim.pe_registers, (ops * a_bits + ops * 32 + K * N * 8) * dff,
              1e-9 * sim.pe_registers);
  // Weight buffer: the 8-bit codes written by the DMA and read into the array once.
  EXPECT_NEAR(sim.weight_buffer, 2 * K * N * 8 * sram, 1e-9 * sim.weight_buffer);
  // Activation SRAM: the 6 x 6 x 16 input written once, read by every row of every fold.
  EXPECT_NEAR(sim.activation_sram, (6 * 6 * 16 * 8 + M * K * 8) * sram, 1e-9 * sim.activation_sram);
  // Output buffer: a 32-bit partial sum written per row fold and read back by all but the first,
  // then the output stage reads the sums and writes 8-bit results, which the DMA reads out.
  const double obuf_bits = M * N * kf * 32 + M * N * (kf - 1) * 32 + outputs * (32 + 8 + 8);
  EXPECT_NEAR(sim.output_buffer, obuf_bits * sram, 1e-9 * sim.output_buffer);
  // DRAM: weights, the input and the output once.
  EXPECT_NEAR(sim.dram, (K * N * 8 + 6 * 6 * 16 * 8 + outputs * 8) * dram, 1e-9 * sim.dram);
  // Output stage per output: bias add, rescale multiply (32 x 15), rounding add, 6 x 32 shift
  // multiplexers, two 9-bit clamp comparisons.
  EXPECT_NEAR(sim.compensation_adder,
              outputs * (add(32) + mult(32, 15) + add(32) + 6 * 32 * mux2 + 2 * add(9)),
              1e-9 * sim.compensation_adder);
  EXPECT_EQ(sim.accumulators, 0.0);
  EXPECT_EQ(sim.sram_leakage, 0.0);
  EXPECT_EQ(sim.pe_leakage, 0.0);
  EXPECT_EQ(sim.vector_unit, 0.0);
}

namespace {

// A conv making a skip tensor, and a conv whose output stage adds it (mapping.fusion =
// fused-stage), run functionally on the Horowitz table with `sets` added.
std::vector<RunResult> fused_add_run(const std::vector<std::string>& sets, SimConfig& cfg) {
  NetworkBuilder b("hand", {6, 6, 16}, "test");
  const int skip = b.conv("skip", b.input(), 16, 3, 1, 0, Activation::None);
  const int conv = b.conv("conv", b.input(), 16, 3, 1, 0, Activation::None);
  b.add("add", conv, skip, Activation::Relu);
  std::vector<std::string> all = {"design.mac=fixed", "mapping.search=greedy",
                                  "energy.table=horowitz45", "dram.technology=table",
                                  "mapping.fusion=fused-stage"};
  all.insert(all.end(), sets.begin(), sets.end());
  cfg = load_sim_config(std::nullopt, all);
  static std::vector<CompiledNetwork> keep;  // RunResult rows refer to nothing in it; kept alive
  keep.push_back(compile_network(b.build(), compile_spec(cfg, true), SyntheticWeights(5)));
  const EnergyModel em(EnergyTable::load(cfg.energy_table_path));
  return run_simulations({{&cfg, &keep.back(), true}}, em);
}

}  // namespace

// The same conv with a residual add fused into its output stage (mapping.fusion = fused-stage,
// docs/mapping.md "Fusion"), by hand on the Horowitz table: the skip tensor is read from DRAM into
// the output buffer and read from there by the output stage, the add's output is written to DRAM
// instead of the conv's, and the add's arithmetic (two rescale multiplies 9 x 15, two 32-bit
// rounding adds, a 6-stage shifter, two 9-bit clamp comparisons per element) is charged to the
// vector unit in the conv's row; the add's own row is empty. Layer 0 makes the skip tensor. On
// the latency objective keeping it on chip gains nothing (these layers are compute-bound), so the
// mapper leaves it in DRAM.
TEST(EnergyByHand, AFusedResidualAddOnTheHorowitzTable) {
  SimConfig cfg;
  const auto runs = fused_add_run({"mapping.objective=latency"}, cfg);
  ASSERT_EQ(runs.size(), 1u);
  ASSERT_EQ(runs[0].mismatches, 0);
  ASSERT_EQ(runs[0].rows[1].fusion, "applies add");
  ASSERT_EQ(runs[0].rows[2].fusion, "in conv");
  ASSERT_EQ(runs[0].rows[0].output_to, "dram");
  ASSERT_EQ(runs[0].rows[2].inputs_from, "array;dram");
  const EnergyBreakdown& sim = runs[0].rows[1].energy;
  EXPECT_EQ(runs[0].rows[2].energy.total(), 0.0);

  const Horowitz h(cfg.energy_table_path);
  const double mux2 = h.mux2, sram = h.sram, dram = h.dram;
  auto add = [&](int bits) { return h.add(bits); };
  auto mult = [&](int a, int w) { return h.mult(a, w); };

  const double M = 16, K = 144, N = 16, kf = 9, outputs = M * N;
  // DRAM: weights and input once, the skip tensor read once, the add's output written once.
  EXPECT_NEAR(sim.dram, (K * N * 8 + 6 * 6 * 16 * 8 + outputs * 8 + outputs * 8) * dram,
              1e-9 * sim.dram);
  // Output buffer: the unfused conv's partial sums and output stage, plus the skip written by
  // the DMA and read by the output stage (8 bits each way per output).
  const double obuf_bits =
      M * N * kf * 32 + M * N * (kf - 1) * 32 + outputs * (32 + 8 + 8) + outputs * (8 + 8);
  EXPECT_NEAR(sim.output_buffer, obuf_bits * sram, 1e-9 * sim.output_buffer);
  EXPECT_NEAR(sim.vector_unit,
              outputs * (2 * mult(9, 15) + 2 * add(32) + 6 * 32 * mux2 + 2 * add(9)),
              1e-9 * sim.vector_unit);
  // The rest is the conv's own, as without the add (OneConvLayerOnTheHorowitzTable).
  EXPECT_NEAR(sim.activation_sram, (6 * 6 * 16 * 8 + M * K * 8) * sram, 1e-9 * sim.activation_sram);
  EXPECT_NEAR(sim.weight_buffer, 2 * K * N * 8 * sram, 1e-9 * sim.weight_buffer);
}

// The same pair with room to keep the skip tensor in the activation SRAM (docs/mapping.md
// "Residency"): its producer's write-back moves it from the output buffer into the activation
// SRAM instead of DRAM, and the fused stage's DMA reads it from there into the output buffer:
// two DRAM accesses per element become an activation SRAM write and read, nothing else changes.
TEST(EnergyByHand, AResidentSkipTensorOnTheHorowitzTable) {
  SimConfig cfg;
  const auto runs = fused_add_run({}, cfg);
  ASSERT_EQ(runs.size(), 1u);
  ASSERT_EQ(runs[0].mismatches, 0);
  ASSERT_EQ(runs[0].rows[1].fusion, "applies add");
  ASSERT_EQ(runs[0].rows[0].output_to, "on-chip");
  ASSERT_EQ(runs[0].rows[2].inputs_from, "array;on-chip");
  EXPECT_EQ(runs[0].resident_tensors, 1u);
  const Horowitz h(cfg.energy_table_path);
  const double sram = h.sram, dram = h.dram;
  const double M = 16, K = 144, N = 16, kf = 9, outputs = M * N;
  // The skip conv: weights and input from DRAM, its output into the activation SRAM.
  const EnergyBreakdown& skip = runs[0].rows[0].energy;
  EXPECT_NEAR(skip.dram, (K * N * 8 + 6 * 6 * 16 * 8) * dram, 1e-9 * skip.dram);
  EXPECT_NEAR(skip.activation_sram, (6 * 6 * 16 * 8 + M * K * 8 + outputs * 8) * sram,
              1e-9 * skip.activation_sram);
  EXPECT_NEAR(skip.output_buffer,
              (M * N * kf * 32 + M * N * (kf - 1) * 32 + outputs * (32 + 8 + 8)) * sram,
              1e-9 * skip.output_buffer);
  // The fused conv: the skip read from the activation SRAM, not DRAM.
  const EnergyBreakdown& sim = runs[0].rows[1].energy;
  EXPECT_NEAR(sim.dram, (K * N * 8 + 6 * 6 * 16 * 8 + outputs * 8) * dram, 1e-9 * sim.dram);
  EXPECT_NEAR(sim.activation_sram, (6 * 6 * 16 * 8 + M * K * 8 + outputs * 8) * sram,
              1e-9 * sim.activation_sram);
  const double obuf_bits =
      M * N * kf * 32 + M * N * (kf - 1) * 32 + outputs * (32 + 8 + 8) + outputs * (8 + 8);
  EXPECT_NEAR(sim.output_buffer, obuf_bits * sram, 1e-9 * sim.output_buffer);
}

namespace {

// The CACTI rows of configs/energy/cacti7-sram-45nm.csv, read here (not through the model):
// (width bits, capacity bytes, transistor type) -> (read pJ, write pJ, leakage mW), one bank.
std::map<std::tuple<int, double, std::string>, std::array<double, 3>> cacti_rows() {
  std::map<std::tuple<int, double, std::string>, std::array<double, 3>> rows;
  std::ifstream in(std::string(CONLOCNN_SOURCE_DIR) + "/configs/energy/cacti7-sram-45nm.csv");
  std::string line;
  for (std::getline(in, line); std::getline(in, line);) {
    std::stringstream ss(line);
    std::vector<std::string> f;
    for (std::string x; std::getline(ss, x, ',');)
      f.push_back(x);
    if (f[0] == "45" && f[3] == "1")
      rows[{std::stoi(f[2]), std::stod(f[1]), f[10]}] = {std::stod(f[4]), std::stod(f[5]),
                                                         std::stod(f[6])};
  }
  return rows;
}

// Read (which = 0) or write (1) pJ per bit of one bank of `capacity` bytes behind the default
// 256-bit (32 B) port, from cacti_rows.
double cacti_per_bit(double capacity, int which) {
  static const auto rows = cacti_rows();
  return rows.at({256, capacity, "itrs-hp"})[static_cast<std::size_t>(which)] / 256;
}

// `net` compiled for each of `cfgs` (the same seeded weights), and the functional runs of them
// side by side in one simulation (one SystemC kernel per process), costed with the first
// config's energy table.
std::vector<CompiledNetwork> compile_each(const Network& net, const std::vector<SimConfig>& cfgs) {
  std::vector<CompiledNetwork> cns;
  for (const SimConfig& c : cfgs)
    cns.push_back(compile_network(net, compile_spec(c, true), SyntheticWeights(5)));
  return cns;
}
std::vector<RunResult> run_each(const std::vector<SimConfig>& cfgs,
                                const std::vector<CompiledNetwork>& cns) {
  const EnergyModel em(EnergyTable::load(cfgs[0].energy_table_path));
  std::vector<RunRequest> req;
  for (std::size_t i = 0; i < cfgs.size(); ++i)
    req.push_back({&cfgs[i], &cns[i], true});
  return run_simulations(req, em);
}

}  // namespace

// The same layer on the default table, every part but the MAC by hand from the table's anchors:
// SRAM reads and writes each at their own CACTI energy (a 64 KiB buffer's access hits a 32 KiB
// half and moves the port's word: a 512-bit word is two 256-bit arrays of 16 KiB side by side, a
// 1024-bit word four of 8 KiB), the buffers' leakage from the low-power rows (two 32 KiB halves
// each) and the PE array's (its transistors at the 4 MiB low-power row's leakage per
// transistor), both over the layer's simulated time, and DRAM at each technology's cited energy
// per bit (docs/energy.md). A swapped read and write energy, a dropped leakage or a technology's
// wrong figure fails here.
TEST(EnergyByHand, OneConvLayerOnTheDefaultTable) {
  NetworkBuilder b("hand", {6, 6, 16}, "test");
  b.conv("conv", b.input(), 16, 3, 1, 0, Activation::None);
  const Network net = b.build();
  // The cited energy per bit of every DRAM technology (Micron's figures for GDDR6, GDDR6X and
  // HBM2E; the rest second-hand, docs/energy.md), and the table's own for `table`.
  const std::vector<std::pair<std::string, double>> techs = {
      {"ddr3", 70.0}, {"lpddr2", 40.0}, {"lpddr4", 8.0}, {"gddr5", 14.0},
      {"hbm2", 3.9},  {"hbm2e", 6.0},   {"gddr6", 7.5},  {"gddr6x", 7.25}};
  std::vector<SimConfig> cfgs;
  for (const auto& [t, pj] : techs)
    cfgs.push_back(load_sim_config(
        std::nullopt, {"design.mac=fixed", "mapping.search=greedy", "dram.technology=" + t}));
  const std::vector<CompiledNetwork> cns = compile_each(net, cfgs);
  const auto runs = run_each(cfgs, cns);

  const auto rows = cacti_rows();
  const double rd512 = cacti_per_bit(16384, 0), wr512 = cacti_per_bit(16384, 1);
  const double rd1024 = cacti_per_bit(8192, 0), wr1024 = cacti_per_bit(8192, 1);
  ASSERT_NE(rd512, wr512);
  const double buffer_leak_mw = 2 * rows.at({64, 32768.0, "itrs-lop"})[2];
  const double lop4m = rows.at({64, 4194304.0, "itrs-lop"})[2];
  const double mw_per_transistor = lop4m / (4194304.0 * 8 * 6);
  const double M = 16, K = 144, N = 16, kf = 9, outputs = M * N;
  const Horowitz h(cfgs[0].energy_table_path);  // the default table's logic anchors
  for (std::size_t i = 0; i < runs.size(); ++i) {
    const EnergyBreakdown& e = runs[i].rows[0].energy;
    const std::string& what = techs[i].first;
    ASSERT_EQ(runs[i].mismatches, 0) << what;
    // Weight buffer: the 8-bit codes written by the DMA, read into the array once.
    EXPECT_NEAR(e.weight_buffer, K * N * 8 * (wr512 + rd512), 1e-9 * e.weight_buffer) << what;
    // Activation SRAM: the input written once, read by every row of every fold.
    EXPECT_NEAR(e.activation_sram, 6 * 6 * 16 * 8 * wr512 + M * K * 8 * rd512,
                1e-9 * e.activation_sram)
        << what;
    // Output buffer: 32-bit partial sums written every fold and read back by all but the first;
    // the output stage reads the sums (32) and writes the 8-bit results, the DMA reads them.
    const double writes = M * N * kf * 32 + outputs * 8;
    const double reads = M * N * (kf - 1) * 32 + outputs * (32 + 8);
    EXPECT_NEAR(e.output_buffer, writes * wr1024 + reads * rd1024, 1e-9 * e.output_buffer) << what;
    // DRAM: weights, input and output once, at the technology's energy per bit.
    EXPECT_NEAR(e.dram, (K * N * 8 + 6 * 6 * 16 * 8 + outputs * 8) * techs[i].second, 1e-9 * e.dram)
        << what;
    // Leakage over the layer's time: three buffers, and the 16 x 16 PEs' transistors.
    const double ns = static_cast<double>(runs[i].rows[0].cycles) / cfgs[i].clock_ghz;
    EXPECT_NEAR(e.sram_leakage, 3 * buffer_leak_mw * ns, 1e-9 * e.sram_leakage) << what;
    EXPECT_NEAR(e.pe_leakage, 256 * cns[i].pe_transistors * mw_per_transistor * ns,
                1e-9 * e.pe_leakage)
        << what;
    EXPECT_GT(e.sram_leakage, 0.0);
    // PE registers (docs/energy.md): on a weight-stationary array each MAC writes its PE's
    // activation register (8 bits) and partial sum (32); each weight is loaded into its PE once
    // per tile (8-bit codes), all as flip-flops at activity 1.
    EXPECT_NEAR(e.pe_registers, (M * K * N * (8 + 32) + K * N * 8) * h.dff, 1e-9 * e.pe_registers)
        << what;
    // The output stage's cells per output (docs/energy.md): two 32-bit adds (bias and the
    // rounding add), a 32 x 15 multiply, a 32-bit shifter of 6 stages (192 mux2) and the 9-bit
    // clamp's two compares.
    EXPECT_NEAR(e.compensation_adder,
                outputs * (2 * h.add(32) + h.mult(32, 15) + 192 * h.mux2 + 2 * h.add(9)),
                1e-9 * e.compensation_adder)
        << what;
  }
}

// Banks: an access is charged one bank's energy, an SRAM of capacity / banks (docs/energy.md).
// The same layer with the weight buffer in 2 banks and the activation SRAM in 4: the 32 KiB half
// at a 512-bit port becomes 16 KiB (two 256-bit arrays of 8 KiB) and 8 KiB (two of 4 KiB); the
// output buffer, one bank, keeps its rows. Leakage stays the whole buffer's.
TEST(EnergyByHand, BankedBuffersChargeOneBankPerAccess) {
  NetworkBuilder b("hand", {6, 6, 16}, "test");
  b.conv("conv", b.input(), 16, 3, 1, 0, Activation::None);
  const Network net = b.build();
  const SimConfig cfg =
      load_sim_config(std::nullopt, {"design.mac=fixed", "mapping.search=greedy",
                                     "buffers.weight_banks=2", "buffers.activation_banks=4"});
  const CompiledNetwork cn = compile_network(net, compile_spec(cfg, true), SyntheticWeights(5));
  const EnergyModel em(EnergyTable::load(cfg.energy_table_path));
  const auto runs = run_simulations({{&cfg, &cn, true}}, em);
  ASSERT_EQ(runs[0].mismatches, 0);
  const auto rows = cacti_rows();
  const double M = 16, K = 144, N = 16;
  const EnergyBreakdown& e = runs[0].rows[0].energy;
  EXPECT_NEAR(e.weight_buffer, K * N * 8 * (cacti_per_bit(8192, 1) + cacti_per_bit(8192, 0)),
              1e-9 * e.weight_buffer);
  EXPECT_NEAR(e.activation_sram,
              6 * 6 * 16 * 8 * cacti_per_bit(4096, 1) + M * K * 8 * cacti_per_bit(4096, 0),
              1e-9 * e.activation_sram);
  const double buffer_leak_mw = 2 * rows.at({64, 32768.0, "itrs-lop"})[2];
  const double ns = static_cast<double>(runs[0].rows[0].cycles) / cfg.clock_ghz;
  EXPECT_NEAR(e.sram_leakage, 3 * buffer_leak_mw * ns, 1e-9 * e.sram_leakage);
}

// A PE's MAC energy by hand from the default table's activity constants: each part follows its
// driving operand's measured toggles relative to the table's reference (docs/energy.md, "MAC
// activity"); an output- or input-stationary array, an unmeasured layer and a table without
// reference rates use the factors as they are.
TEST(EnergyByHand, MacPartsFollowTheirOperandsToggles) {
  const SimConfig cfg = load_sim_config(std::nullopt, {"design.elp.format=elp5v2"});
  const EnergyTable t = EnergyTable::load(cfg.energy_table_path);
  const EnergyModel em(t);
  auto c = [&](const char* id) { return t.at(id).value; };
  const OperandToggles ref{c("toggle_activation"), c("toggle_psum"), c("toggle_product")};
  ASSERT_GT(ref.activation, 0.0);
  const auto mac = make_mac_model(cfg.design, MacKind::ElpBsd, false);
  const double acc = em.add_pj(cfg.design.accumulator_bits);
  // The costliest code (two terms), a one-term code (one term pass) and the zero code.
  std::uint32_t two = 0, one = 0;
  for (std::int32_t level : mac->quantizer().levels()) {
    const MacActions a = mac->actions(mac->encode(level));
    if (a.term_adds == 1) two = mac->encode(level);
    if (a.term_passes == 1) one = mac->encode(level);
  }
  const MacActions a2 = mac->actions(two), a1 = mac->actions(one), a0 = mac->actions(0);
  ASSERT_EQ(a1.term_adds, 0u);
  ASSERT_EQ(a0.gated, 1u);
  // By hand: the operand path is every cell but the accumulator add.
  CellCounts operand = mac->cells(a2);
  operand.adder_bits -= cfg.design.accumulator_bits;
  operand.add_ops -= 1;
  const double path = em.mac_cells_pj(operand);
  const double pass = em.cells_pj(mac->pass_cells(a1)) * c("activity_term_pass");
  ASSERT_GT(pass, 0.0);
  const Dataflow ws = Dataflow::WeightStationary;
  auto at = [&](const MacActions& a, OperandToggles tg) { return pe_mac_pj(em, *mac, a, ws, tg); };
  const double base = at(a2, ref);
  EXPECT_NEAR(base, path + acc * (c("activity_acc_psum") + c("activity_acc_product")), 1e-12);
  EXPECT_NEAR(at(a2, {}), base, 1e-12);  // not measured: the factors as they are
  EXPECT_NEAR(at(a2, {2 * ref.activation, ref.psum, ref.product}), base + path, 1e-12);
  EXPECT_NEAR(at(a2, {ref.activation, 2 * ref.psum, ref.product}),
              base + acc * c("activity_acc_psum"), 1e-12);
  EXPECT_NEAR(at(a2, {ref.activation, ref.psum, 3 * ref.product}),
              base + 2 * acc * c("activity_acc_product"), 1e-12);
  // A one-term weight passes its term through the term adder; the pass follows the activation.
  EXPECT_NEAR(at(a1, {2 * ref.activation, ref.psum, ref.product}) - at(a1, ref),
              at(a1, ref) - acc * (c("activity_acc_psum") + c("activity_acc_product")), 1e-12);
  // A zero weight passes the partial sum through the accumulator adder (WS only).
  EXPECT_NEAR(at(a0, {ref.activation, 2 * ref.psum, ref.product}),
              2 * acc * c("activity_psum_pass"), 1e-12);
  EXPECT_EQ(pe_mac_pj(em, *mac, a0, Dataflow::OutputStationary, ref), 0.0);
  // Input stationary: partial sums flow down the columns as on WS, so a zero weight's pass is
  // charged, at the factor as it is (the measured rates are a WS column's).
  const Dataflow is = Dataflow::InputStationary;
  EXPECT_NEAR(pe_mac_pj(em, *mac, a0, is, {ref.activation, 2 * ref.psum, ref.product}),
              acc * c("activity_psum_pass"), 1e-12);
  // Output and input stationary: the rates do not apply.
  for (const Dataflow d : {Dataflow::OutputStationary, is})
    EXPECT_NEAR(pe_mac_pj(em, *mac, a2, d, {9, 9, 9}), pe_mac_pj(em, *mac, a2, d, {}), 1e-12);
  // A table without reference rates (the previous default) ignores measured toggles.
  const EnergyModel old(EnergyTable::load(std::string(CONLOCNN_SOURCE_DIR) +
                                          "/configs/energy/horowitz45-cacti.json"));
  EXPECT_NEAR(pe_mac_pj(old, *mac, a2, ws, {9, 9, 9}), pe_mac_pj(old, *mac, a2, ws, {}), 1e-12);
  EXPECT_NEAR(pe_mac_pj(old, *mac, a2, ws, {}), old.cells_pj(mac->cells(a2)), 1e-12);
}

// Operand toggle rates by hand: mean Hamming distances between consecutive operations of each
// PE, over the operand's width, never across a run boundary; the layer's rate is the mean over
// PEs.
TEST(EnergyByHand, OperandTogglesAreMeanBitFlipsWithinRuns) {
  // PE 0, two runs of two operations: transitions (0 -> 3) and (-1 -> 1) only. PE 1 holds a
  // zero weight: its activations change 0 -> 1 and 2 -> 0, partial sum and product do not.
  const std::vector<std::vector<WsOperation>> ops = {
      {{1, 1, 0, 0, 0}, {1, 1, 3, 4, 7}, {1, 1, -1, 8, 7}, {1, 1, 1, 8, 9}},
      {{0, 0, 0, 5, 5}, {0, 0, 1, 5, 5}, {0, 0, 2, 5, 5}, {0, 0, 0, 5, 5}}};
  const std::vector<PeToggles> pes = pe_toggles(ops, 2, 9, 32);
  ASSERT_EQ(pes.size(), 2u);
  const OperandToggles& t = pes[0].toggles;
  EXPECT_EQ(pes[0].code, 1u);
  EXPECT_FALSE(pes[0].zero_weight);
  // activation: 0^3 = 2 bits; -1^1 over 9 bits = 8 bits -> mean 5.
  EXPECT_DOUBLE_EQ(t.activation, 5.0);
  // psum: 0^4 = 1 bit; 8^8 = 0 -> 0.5.
  EXPECT_DOUBLE_EQ(t.psum, 0.5);
  // product (acc_out - acc_in): 0^3 = 2 bits; -1^1 over 32 bits = 31 bits -> 16.5.
  EXPECT_DOUBLE_EQ(t.product, 16.5);
  EXPECT_TRUE(t.measured());
  EXPECT_TRUE(pes[1].zero_weight);
  EXPECT_DOUBLE_EQ(pes[1].toggles.activation, 1.0);  // 0^1 = 1 bit; 2^0 = 1 bit
  EXPECT_DOUBLE_EQ(pes[1].toggles.product, 0.0);
  const OperandToggles m = mean_toggles(pes);
  EXPECT_DOUBLE_EQ(m.activation, 3.0);
  EXPECT_DOUBLE_EQ(m.psum, 0.25);
  EXPECT_DOUBLE_EQ(m.product, 8.25);
  // A single operation per run has no transition: no PE measured.
  EXPECT_TRUE(pe_toggles(ops, 1, 9, 32).empty());
  EXPECT_FALSE(mean_toggles(pe_toggles(ops, 1, 9, 32)).measured());
}

// On a real layer the sampled rates lie within the operands' widths, every layer with consecutive
// operations is sampled (64 PEs), and sampling is deterministic.
TEST(EnergyByHand, MeasuredOperandTogglesOfARealLayer) {
  const SimConfig cfg = load_sim_config(std::nullopt, {});
  const Workload w = load_workload("tinycnn", cfg.seed);
  const CompiledNetwork cn = compile_network(w.net, compile_spec(cfg, true), *w.weights);
  const EnergyModel em(EnergyTable::load(cfg.energy_table_path));
  const auto macs = mac_energies(cn, cfg, em, mac_circuit_fnv1a64(cfg));
  int seen = 0;
  for (std::size_t i = 0; i < cn.net.layers.size(); ++i) {
    if (!cn.net.layers[i].on_pe_array()) continue;
    const std::vector<PeToggles> pes = measure_pe_toggles(cn, static_cast<int>(i), cfg.array.rows);
    // A fully-connected layer of one output position has no consecutive operations.
    EXPECT_EQ(macs[i].simulated_operands, cn.net.gemm(cn.net.layers[i]).m > 1);
    if (!macs[i].simulated_operands) continue;
    ++seen;
    EXPECT_EQ(pes.size(), 64u);
    const OperandToggles& t = macs[i].toggles;
    const int abits = cn.layers[i].mac->widths().activation_operand_bits();
    EXPECT_GT(t.activation, 0.0);
    EXPECT_LE(t.activation, abits);
    EXPECT_LE(t.psum, cn.widths.accumulator_bits);
    EXPECT_LE(t.product, cn.widths.accumulator_bits);
    // The same sample again gives the same rates (deterministic).
    EXPECT_DOUBLE_EQ(mean_toggles(pes).activation, t.activation);
  }
  EXPECT_GT(seen, 0);
}

// The operand toggles are sampled for the array the run has: a WS column of R rows accumulates R
// products before a partial sum leaves it, so the psum stream a PE sees follows R. For 4, 8 and
// 32 rows every simulated layer's rates are those measured at that R, and differ from 16 rows'
// on some layer (so a sample taken for a fixed array would fail here).
TEST(EnergyByHand, OperandTogglesAreSampledForTheArraysRows) {
  const SimConfig base = load_sim_config(std::nullopt, {});
  const Workload w = load_workload("tinycnn", base.seed);
  const CompiledNetwork cn = compile_network(w.net, compile_spec(base, true), *w.weights);
  const EnergyModel em(EnergyTable::load(base.energy_table_path));
  for (int rows : {4, 8, 32}) {
    const SimConfig cfg = base.with({{"array.rows", rows, "test"}});
    const auto macs = mac_energies(cn, cfg, em, mac_circuit_fnv1a64(cfg));
    int differ = 0;
    for (std::size_t i = 0; i < cn.net.layers.size(); ++i) {
      if (!macs[i].simulated_operands) continue;
      const OperandToggles at_r = mean_toggles(measure_pe_toggles(cn, static_cast<int>(i), rows));
      const OperandToggles at_16 = mean_toggles(measure_pe_toggles(cn, static_cast<int>(i), 16));
      EXPECT_DOUBLE_EQ(macs[i].toggles.psum, at_r.psum) << rows << " rows, layer " << i;
      EXPECT_DOUBLE_EQ(macs[i].toggles.product, at_r.product) << rows << " rows, layer " << i;
      differ += at_r.psum != at_16.psum;
    }
    EXPECT_GT(differ, 0) << rows << " rows";
  }
}

// A term-serial MAC's cycles for a weight of two terms switch as on random operands (the shared
// shifter's amount and input alternate): the default table charges them at
// activity_serial_switch, a one-term weight's cycle at the held-weight factors.
TEST(EnergyByHand, TermSerialCyclesOfMultiTermWeightsSwitchAsOnRandomOperands) {
  const SimConfig cfg = load_sim_config(std::nullopt, {"design.elp.mac=serial"});
  const EnergyTable t = EnergyTable::load(cfg.energy_table_path);
  const EnergyModel em(t);
  const double s = t.at("activity_serial_switch").value;
  ASSERT_GT(s, 0.0);
  const auto mac = make_mac_model(cfg.design, MacKind::ElpBsd, false);
  const Dataflow ws = Dataflow::WeightStationary;
  bool two = false, one = false;
  for (std::int32_t level : mac->quantizer().levels()) {
    const MacActions a = mac->actions(mac->encode(level));
    if (a.cycles == 2) {
      two = true;
      ASSERT_EQ(a.switching_ops, 1u);
      ASSERT_EQ(a.switching_cycles, 2u);
      // Every cell but the zero detect (per operation, held) at the switching activity.
      CellCounts zero_detect;
      zero_detect.and2 = mac->cells(a).and2;
      EXPECT_NEAR(pe_mac_pj(em, *mac, a, ws),
                  s * (em.cells_pj(mac->cells(a)) - em.cells_pj(zero_detect)) +
                      em.mac_cells_pj(zero_detect),
                  1e-12);
    } else if (a.cycles == 1 && a.gated == 0) {
      one = true;
      EXPECT_EQ(a.switching_ops, 0u);
    }
  }
  EXPECT_TRUE(two && one);
}

// The default table's memory components on an output-stationary array, by hand from the dataflow
// as docs/timing.md states it (M on rows, N on columns, K streams; partial sums stay in the PEs),
// at 8-bit activations with 32-bit accumulators and at 4-bit activations with 24-bit ones (sub-byte
// activations occupy and move as their own width, psums as the accumulator's). A 3 x 3
// convolution, 16 -> 24 channels, on an 8 x 8 input: M = 36 pixels in row folds of 16, 16, 4;
// N = 24 channels in column folds of 16, 8; K = 144. Then a 2 x 2 max pool, stride 2, on the vector
// unit: its 6 x 6 x 24 input in and its 3 x 3 x 24 output out through DRAM, each input read once.
TEST(EnergyByHand, OutputStationaryAndSubByteActivationsOnTheDefaultTable) {
  NetworkBuilder b("hand", {8, 8, 16}, "test");
  b.max_pool("pool", b.conv("conv", b.input(), 24, 3, 1, 0, Activation::None), 2, 2, 0);
  const Network net = b.build();
  const std::vector<std::pair<int, int>> widths = {{8, 32}, {4, 24}};  // activation, accumulator
  std::vector<SimConfig> cfgs;
  for (const auto& [act, acc] : widths) {
    cfgs.push_back(load_sim_config(
        std::nullopt, {"design.mac=fixed", "mapping.search=greedy", "array.dataflow=os",
                       "dram.technology=lpddr4", "design.activation_bits=" + std::to_string(act),
                       "design.accumulator_bits=" + std::to_string(acc)}));
  }
  const std::vector<CompiledNetwork> cns = compile_each(net, cfgs);
  const auto runs = run_each(cfgs, cns);

  const auto rows = cacti_rows();
  const double rd512 = cacti_per_bit(16384, 0),
               wr512 = cacti_per_bit(16384, 1);  // weights, activations
  const double rd1024 = cacti_per_bit(8192, 0), wr1024 = cacti_per_bit(8192, 1);  // outputs
  const double M = 36, K = 144, N = 24, row_folds = 3, col_folds = 2, inputs = 8 * 8 * 16;
  const double lpddr4_pj_per_bit = 8.0;
  const Horowitz h(cfgs[0].energy_table_path);  // the default table's logic anchors
  for (std::size_t i = 0; i < runs.size(); ++i) {
    const double a = widths[i].first, acc = widths[i].second;
    const std::string what = "activations " + std::to_string(widths[i].first) + " bits";
    const EnergyBreakdown& e = runs[i].rows[0].energy;
    ASSERT_EQ(runs[i].mismatches, 0) << what;
    // Each fold's columns read their channels' K weights: every weight once per row fold.
    EXPECT_NEAR(e.weight_buffer, K * N * 8 * wr512 + row_folds * K * N * 8 * rd512,
                1e-9 * e.weight_buffer)
        << what;
    // Each fold's rows read their pixels' K inputs: every patch once per column fold.
    EXPECT_NEAR(e.activation_sram, inputs * a * wr512 + col_folds * M * K * a * rd512,
                1e-9 * e.activation_sram)
        << what;
    // Sums leave the PEs once, at the accumulator's width; the output stage reads them and writes
    // the results, which the DMA reads.
    EXPECT_NEAR(e.output_buffer, M * N * (acc + a) * (wr1024 + rd1024), 1e-9 * e.output_buffer)
        << what;
    EXPECT_NEAR(e.dram, (K * N * 8 + inputs * a + M * N * a) * lpddr4_pj_per_bit, 1e-9 * e.dram)
        << what;
    const double ns = static_cast<double>(runs[i].rows[0].cycles) / cfgs[i].clock_ghz;
    EXPECT_NEAR(e.sram_leakage, 3 * 2 * rows.at({64, 32768.0, "itrs-lop"})[2] * ns,
                1e-9 * e.sram_leakage)
        << what;
    // PE registers (docs/energy.md): on an output-stationary array the inputs and the weights
    // both move through every PE and the sum stays in place, so each MAC writes an activation
    // register (a bits), a weight register (8-bit codes) and its partial sum (acc bits).
    EXPECT_NEAR(e.pe_registers, M * K * N * (a + 8 + acc) * h.dff, 1e-9 * e.pe_registers) << what;
    const EnergyBreakdown& p = runs[i].rows[1].energy;
    const double pool_in = M * N, pool_out = M * N / 4;
    // The vector unit: one (a + 1)-bit compare per window element, 4 per output, at activity 1.
    EXPECT_NEAR(p.vector_unit, pool_out * 4 * h.add(static_cast<int>(a) + 1), 1e-9 * p.vector_unit)
        << what;
    EXPECT_EQ(p.pe_registers, 0.0) << what;
    EXPECT_NEAR(p.activation_sram, pool_in * a * (wr512 + rd512), 1e-9 * p.activation_sram) << what;
    EXPECT_NEAR(p.output_buffer, pool_out * a * (wr1024 + rd1024), 1e-9 * p.output_buffer) << what;
    EXPECT_NEAR(p.dram, (pool_in + pool_out) * a * lpddr4_pj_per_bit, 1e-9 * p.dram) << what;
    EXPECT_EQ(p.weight_buffer, 0.0) << what;
    EXPECT_EQ(p.mac, 0.0) << what;
    EXPECT_GT(p.vector_unit, 0.0) << what;
  }
}

// The same convolution on an input-stationary array (docs/timing.md: K on rows, M on columns, the
// N weights of each reduction index stream through; the greedy rule puts all 24 channels in one
// tile): M = 36 pixels in column folds of 16, 16, 4; K = 144 in 9 row folds of 16. Each input of a
// patch enters the array once, each weight once per column fold, and partial sums leave every row
// fold as on a weight-stationary array.
TEST(EnergyByHand, InputStationaryOnTheDefaultTable) {
  NetworkBuilder b("hand", {8, 8, 16}, "test");
  b.conv("conv", b.input(), 24, 3, 1, 0, Activation::None);
  const Network net = b.build();
  const std::vector<SimConfig> cfgs = {
      load_sim_config(std::nullopt, {"design.mac=fixed", "mapping.search=greedy",
                                     "array.dataflow=is", "dram.technology=lpddr4"})};
  const std::vector<CompiledNetwork> cns = compile_each(net, cfgs);
  const auto runs = run_each(cfgs, cns);
  ASSERT_EQ(runs[0].mismatches, 0);
  const double rd512 = cacti_per_bit(16384, 0), wr512 = cacti_per_bit(16384, 1);
  const double rd1024 = cacti_per_bit(8192, 0), wr1024 = cacti_per_bit(8192, 1);
  const double M = 36, K = 144, N = 24, row_folds = 9, col_folds = 3, inputs = 8 * 8 * 16;
  const EnergyBreakdown& e = runs[0].rows[0].energy;
  EXPECT_NEAR(e.weight_buffer, K * N * 8 * wr512 + col_folds * K * N * 8 * rd512,
              1e-9 * e.weight_buffer);
  EXPECT_NEAR(e.activation_sram, inputs * 8 * wr512 + M * K * 8 * rd512, 1e-9 * e.activation_sram);
  const double writes = M * N * row_folds * 32 + M * N * 8;
  const double reads = M * N * (row_folds - 1) * 32 + M * N * (32 + 8);
  EXPECT_NEAR(e.output_buffer, writes * wr1024 + reads * rd1024, 1e-9 * e.output_buffer);
  EXPECT_NEAR(e.dram, (K * N * 8 + inputs * 8 + M * N * 8) * 8.0, 1e-9 * e.dram);
  // PE registers: each input is loaded into its PE once (8 bits); each MAC writes a weight
  // register (the streaming weight, 8-bit codes) and its partial sum (32 bits).
  const Horowitz h(cfgs[0].energy_table_path);
  EXPECT_NEAR(e.pe_registers, (M * K * 8 + M * K * N * (8 + 32)) * h.dff, 1e-9 * e.pe_registers);
  // Cycles by hand: the first fold's inputs load (16 rows), then 27 folds of N + R + C_u - 2.
  const double cycles = 16 + row_folds * (2 * (N + 16 + 16 - 2) + (N + 16 + 4 - 2));
  EXPECT_EQ(static_cast<double>(runs[0].rows[0].compute_cycles), cycles);
}

// A depthwise convolution on the default weight-stationary array (docs/timing.md, "Grouped and
// depthwise convolutions"): every channel is its own product, M = 36 pixels x K = 9 taps x N = 1,
// so each group takes one fold of 9 rows and 1 column. Each weight is read once (one row fold),
// each pixel's patch once (one column fold), and each group's sums leave the array once at the
// accumulator width; the buffers are the default 64 KiB ones.
TEST(EnergyByHand, DepthwiseOnTheDefaultTable) {
  NetworkBuilder b("hand", {8, 8, 8}, "test");
  b.conv("dw", b.input(), 8, 3, 1, 0, Activation::None, 8);
  const Network net = b.build();
  const std::vector<SimConfig> cfgs = {load_sim_config(
      std::nullopt, {"design.mac=fixed", "mapping.search=greedy", "dram.technology=lpddr4"})};
  const std::vector<CompiledNetwork> cns = compile_each(net, cfgs);
  const auto runs = run_each(cfgs, cns);
  ASSERT_EQ(runs[0].mismatches, 0);
  const auto rows = cacti_rows();
  const double rd512 = cacti_per_bit(16384, 0), wr512 = cacti_per_bit(16384, 1);
  const double rd1024 = cacti_per_bit(8192, 0), wr1024 = cacti_per_bit(8192, 1);
  const double groups = 8, M = 36, K = 9, inputs = 8 * 8 * 8, acc = 32, a = 8;
  const EnergyBreakdown& e = runs[0].rows[0].energy;
  EXPECT_NEAR(e.weight_buffer, groups * K * 8 * (wr512 + rd512), 1e-9 * e.weight_buffer);
  EXPECT_NEAR(e.activation_sram, inputs * a * wr512 + groups * M * K * a * rd512,
              1e-9 * e.activation_sram);
  EXPECT_NEAR(e.output_buffer, groups * M * (acc + a) * (wr1024 + rd1024), 1e-9 * e.output_buffer);
  EXPECT_NEAR(e.dram, (groups * K * 8 + inputs * a + groups * M * a) * 8.0, 1e-9 * e.dram);
  const double ns = static_cast<double>(runs[0].rows[0].cycles) / cfgs[0].clock_ghz;
  EXPECT_NEAR(e.sram_leakage, 3 * 2 * rows.at({64, 32768.0, "itrs-lop"})[2] * ns,
              1e-9 * e.sram_leakage);
  // One fold of 9 of the 16 rows and 1 of the 16 columns per group.
  EXPECT_EQ(runs[0].rows[0].folds, 8u);
  EXPECT_NEAR(runs[0].rows[0].mapping_efficiency_pct, 100.0 * 9 * 1 / (16 * 16), 1e-9);
}
