// The whole SystemC model on small networks: every layer type must come out of the simulated
// accelerator bit for bit equal to the integer reference, for both MAC designs, both dataflows and
// buffer sizes that force every tiling mode. Each test is its own process (one sc_start each).
#include <algorithm>
#include <gtest/gtest.h>
#include <sstream>

#include "modules/arith/elp_lut_mac.h"
#include "modules/arith/lp_bsd.h"
#include "modules/base/error.h"
#include "modules/common/network.h"
#include "modules/dataflow/dataflow_model.h"
#include "modules/layers/network_builder.h"
#include "sim/config/sim_config.h"
#include "sim/design/mac_factory.h"
#include "sim/energy/energy_table.h"
#include "sim/mapping/mapper.h"
#include "sim/quant/compiler.h"
#include "sim/rtl/mac_rtl.h"
#include "sim/run/pipeline.h"
#include "sim/top/accelerator.h"

using namespace conloc;

namespace {

using A = Activation;

Network conv_net() {
  NetworkBuilder b("convs", {13, 11, 6}, "test");
  int x = b.conv("c3s2p1", b.input(), 20, 3, 2, 1, A::Relu);
  x = b.conv2("c5x3p2", x, 24, 5, 3, 1, 2, A::None, 1);
  x = b.conv("c1s2", x, 12, 1, 2, 0, A::Relu6);
  b.conv("c3valid", x, 7, 3, 1, 0, A::None);
  return b.build();
}

// SCALE-Sim's output size on a 1 x 1 stride-2 kernel over 8 rows and columns, ceil((8 - 1 + 2) / 2)
// = 5: the last output row and column read only the bottom and right padding (topology CSVs).
Network scalesim_net() {
  NetworkBuilder b("scalesim-pads", {8, 8, 8}, "test");
  const int x = b.conv_window("down", b.input(), 12, {1, 1, 2, 2, 0, 0, 1, 1}, A::None, 1);
  b.conv_window("c3s2", x, 8, {3, 3, 2, 2, 0, 0, 0, 0}, A::Relu, 1);
  return b.build();
}

Network grouped_net() {
  NetworkBuilder b("grouped", {9, 10, 16}, "test");
  int x = b.conv("g4", b.input(), 24, 3, 1, 1, A::Relu, 4);
  x = b.conv("dw", x, 24, 3, 2, 1, A::Relu6, 24);
  b.conv("pw", x, 40, 1, 1, 0, A::None);
  return b.build();
}

Network pool_fc_net() {
  NetworkBuilder b("poolfc", {15, 15, 8}, "test");
  int x = b.conv("c1", b.input(), 16, 3, 1, 1, A::None);
  x = b.relu("relu", x);
  x = b.max_pool("max", x, 3, 2, 1);
  x = b.avg_pool("avg", x, 2, 2, 0);
  const int y = b.conv("c2", x, 16, 3, 1, 1, A::None);
  x = b.add("add", y, x, A::Relu);
  const int z = b.conv("c3", x, 16, 1, 1, 0, A::None);
  x = b.add("add_signed", z, y, A::None);  // no activation: signed output
  x = b.global_avg_pool("gap", x);
  b.fc("fc", x, 10);
  return b.build();
}

// MobileNetV3-style: non-square strides and asymmetric padding, table-lookup activations, a
// squeeze-and-excitation gate (per-channel Mul) and an elementwise Mul.
Network mobile_net() {
  NetworkBuilder b("mobile", {14, 12, 8}, "test");
  int x = b.conv_window("c_s21", b.input(), 16, {3, 3, 2, 1, 1, 0, 0, 2}, A::None, 1);
  x = b.act("hswish", x, A::HardSwish, 0.0, 0.0);
  const int dw = b.conv_window("dw", x, 16, {5, 3, 1, 2, 2, 1, 2, 1}, A::None, 16);
  int se = b.global_avg_pool("se_pool", dw);
  se = b.conv("se_fc1", se, 4, 1, 1, 0, A::Relu);
  se = b.conv("se_fc2", se, 16, 1, 1, 0, A::None);
  se = b.act("se_gate", se, A::HardSigmoid, 0.2, 0.5);
  x = b.mul("se_mul", dw, se);
  const int sig = b.act("sigmoid", x, A::Sigmoid, 0.0, 0.0);
  x = b.mul("gated", x, sig);
  x = b.act("leaky", x, A::LeakyRelu, 0.1, 0.0);
  x = b.elementwise("max", LayerType::Max,
                    {x, b.act("leaky2", x, A::LeakyRelu, 0.3, 0.0, 0.5, -0.1)});
  x = b.pool("avg_s12", LayerType::AvgPool, x, {2, 3, 1, 2, 0, 1, 1, 1});
  b.conv("pw", x, 10, 1, 1, 0, A::None);
  return b.build();
}

// FPN-style: nearest upsampling, a transposed convolution as a 1x1 conv plus depth-to-space,
// and a concat of unsigned and signed tensors with different scales.
Network fpn_net() {
  NetworkBuilder b("fpn", {12, 12, 6}, "test");
  const int x = b.conv("c1", b.input(), 8, 3, 2, 1, A::Relu);  // 6x6x8, unsigned
  const int y = b.conv("c2", x, 12, 3, 2, 1, A::None);         // 3x3x12, signed
  const int u = b.upsample("up", y, 2, 2);
  const int t = b.conv("t", y, 4 * 5, 1, 1, 0, A::Relu);
  const int d = b.depth_to_space("d2s", t, 2, 2);  // 6x6x5
  const int c = b.concat("cat", {x, u, d});
  const int w = b.upsample("up_wide", c, 1, 3);  // 6x18x25
  b.conv("head", w, 3, 3, 1, 1, A::None);
  return b.build();
}

struct Case {
  const char* name;
  Network (*net)();
  std::vector<std::string> sets;
};

// How ctest and a failure show a case: its settings, not its bytes.
void PrintTo(const Case& c, std::ostream* os) {
  *os << c.name << ":";
  for (const std::string& s : c.sets)
    *os << " " << s;
}

std::vector<std::string> with(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// The energy model of `cfg`'s table (the mapper costs candidate mappings with it).
EnergyModel energy_model(const SimConfig& cfg) {
  return EnergyModel(EnergyTable::load(cfg.energy_table_path));
}

// The plan of `cn` on `cfg`, as the run pipeline makes it.
PlanResult plan(const SimConfig& cfg, const CompiledNetwork& cn) {
  const EnergyModel em = energy_model(cfg);
  return plan_run(cfg, cn, em, mac_energies(cn, cfg, em, mac_circuit_fnv1a64(cfg)));
}

// The planned run of `cn` on `cfg`, functional when `cn` is calibrated; the tests' networks
// always fit.
PlannedRun planned(const SimConfig& cfg, const CompiledNetwork& cn) {
  PlanResult p = plan(cfg, cn);
  if (p.infeasible)
    throw std::runtime_error("test network does not fit: " + p.infeasible->message());
  return {&cfg, &cn, std::move(p.plan), cn.calibrated, nullptr};
}

// Every field of a job, for comparing two plans' jobs.
std::string describe(const Job& j) {
  std::ostringstream s;
  s << static_cast<int>(j.engine) << " deps";
  for (int d : j.deps)
    s << ' ' << d;
  auto all = [&s](auto... v) { ((s << ' ' << v), ...); };
  if (j.engine == Engine::DmaRead || j.engine == Engine::DmaWrite) {
    const Transfer& x = j.xfer();
    all(static_cast<int>(x.operand), static_cast<int>(x.buffer), x.dram_addr, x.sram_addr, x.count,
        x.run_bytes, x.dram_stride, x.sram_stride, x.row_runs, x.dram_row_stride, x.bits,
        x.on_chip);
  } else if (j.engine == Engine::VectorUnit) {
    const VectorTile& v = j.vec();
    all(v.oy0, v.rows, v.band_iy0, v.band_rows, v.image, v.abuf_addr[0], v.abuf_addr[1], v.in_bytes,
        v.part, v.per_channel_b, v.c0, v.ct, v.out_ct, v.obuf_addr, v.ops);
  } else {
    const ConvTile& t = j.conv();
    all(t.group, t.n0, t.nt, t.c0, t.ct, t.oy0, t.rows, t.res_y0, t.res_rows, t.image0, t.images,
        t.first_chunk, t.last_chunk, int{t.sub_h}, int{t.sub_w}, t.wbuf_addr, t.abuf_addr,
        t.band_iy0, t.band_rows, t.band_c0, t.band_cs, t.image_pitch, t.obuf_addr, t.fused_addr,
        t.input_job, t.weight_job, t.gemm.m, t.gemm.k, t.gemm.n, t.gemm.first_k_chunk,
        t.gemm.first_in_layer, t.gemm.last_in_layer, t.gemm.acc_bypass);
    for (int f : t.gemm.fold_steps)
      s << " f" << f;
  }
  return s.str();
}

const std::vector<std::string> kTiny = {"buffers.weight_kib=1", "buffers.activation_kib=2",
                                        "buffers.output_kib=2", "dram.burst_bytes=16"};

struct BitExact : ::testing::TestWithParam<Case> {};

}  // namespace

TEST_P(BitExact, AcceleratorOutputsEqualIntegerReference) {
  const Case& c = GetParam();
  const SimConfig cfg =
      load_sim_config(std::nullopt, with({"array.rows=4", "array.cols=5"}, c.sets));
  const Network net = c.net();
  const SyntheticWeights src(7);
  CompiledNetwork cn = compile_network(net, compile_spec(cfg, true), src);
  add_batch_references(cn, src, cfg.batch);  // workload.batch > 1: every image checked
  PlannedRun run = planned(cfg, cn);
  if (cfg.mapping.residency && !cfg.mapping.depth_first) {
    // The residency cases must keep some tensor on chip, or they test nothing new; those with
    // tiny buffers must also spill some (the schedule's choice, not all-or-nothing).
    const std::vector<std::uint64_t>& res = run.plan.resident;
    const auto kept = std::count_if(res.begin(), res.end(),
                                    [](std::uint64_t a) { return a != PlanParams::kInDram; });
    EXPECT_GT(kept, 0) << "no tensor resident";
    if (cfg.buffers.activation_bytes <= 4096) {
      EXPECT_LT(static_cast<std::size_t>(kept) + 2, net.tensors.size()) << "nothing spilled";
    }
  }
  if (cfg.mapping.whole_buffers && !cfg.mapping.depth_first) {
    // The whole-buffer cases must use one somewhere (the mapper's choice on these networks; a
    // depth-first group's members use halves, and the depth-first case groups every conv).
    EXPECT_TRUE(std::any_of(run.plan.layers.begin(), run.plan.layers.end(),
                            [](const LayerPlan& lp) { return lp.mapping.whole != 0; }))
        << "no layer uses a buffer whole";
  }
  if (cfg.mapping.depth_first) {
    // The depth-first cases must form a group (the mapper's choice on these networks).
    EXPECT_TRUE(std::any_of(run.plan.layers.begin(), run.plan.layers.end(),
                            [](const LayerPlan& lp) { return !lp.units.empty(); }))
        << "no depth-first group";
  }
  // The run pipeline plans with jobs on demand (each layer's made when it runs): they are the
  // jobs simulated here, job for job.
  {
    const EnergyModel em = energy_model(cfg);
    const PlanResult lazy =
        plan_run(cfg, cn, em, mac_energies(cn, cfg, em, mac_circuit_fnv1a64(cfg)), nullptr, true);
    ASSERT_FALSE(lazy.infeasible);
    ASSERT_EQ(lazy.plan.layers.size(), run.plan.layers.size());
    const auto df = make_dataflow(cfg.array.dataflow);
    int made = 0;
    for (std::size_t i = 0; i < run.plan.layers.size(); ++i) {
      const LayerPlan& kept = run.plan.layers[i];
      const LayerPlan& l = lazy.plan.layers[i];
      EXPECT_EQ(l.units.size(), kept.units.size());
      if (!l.make_jobs) continue;
      ++made;
      EXPECT_TRUE(l.jobs.empty()) << "layer " << i << " kept its jobs";
      std::vector<Job> scratch;
      const std::vector<Job>& jobs = l.jobs_of(lazy.plan.dram, df.get(), scratch);
      ASSERT_EQ(jobs.size(), kept.jobs.size()) << "layer " << i;
      for (std::size_t k = 0; k < jobs.size(); ++k)
        ASSERT_EQ(describe(jobs[k]), describe(kept.jobs[k])) << "layer " << i << " job " << k;
    }
    if (!cfg.mapping.depth_first) {
      EXPECT_GT(made, 0) << "no layer made its jobs on demand";
    }
  }
  auto accs = simulate({std::move(run)});
  const auto mism = accs[0]->compare_outputs();
  for (std::size_t i = 0; i < mism.size(); ++i) {
    EXPECT_EQ(mism[i], 0u) << "layer " << net.layers[i].name;
  }
  // The outputs are not trivially zero: every layer produced some non-zero value.
  for (const auto& l : net.layers) {
    bool any = false;
    for (auto v : cn.tensors[l.output].data)
      any = any || v != 0;
    EXPECT_TRUE(any) << "layer " << l.name << " is all zeros";
  }
}

INSTANTIATE_TEST_SUITE_P(
    Model, BitExact,
    ::testing::Values(
        Case{"ConvElpWs", conv_net, {}},
        Case{"ConvFixedOs", conv_net, {"design.mac=fixed", "array.dataflow=os"}},
        Case{"ConvElpIs", conv_net, {"array.dataflow=is"}},
        Case{"GroupedElpV2TinyBuffersIs", grouped_net,
             with({"design.elp.format=elp5v2", "array.dataflow=is"}, kTiny)},
        Case{"PoolFcFixedIs", pool_fc_net, {"design.mac=fixed", "array.dataflow=is"}},
        Case{"ConvElpSerialTinyBuffers", conv_net, with({"design.elp.mac=serial"}, kTiny)},
        Case{"ConvFixedTinyBuffersOs", conv_net,
             with({"design.mac=fixed", "array.dataflow=os"}, kTiny)},
        Case{"GroupedElpWs", grouped_net, {}},
        Case{"GroupedFixedOs", grouped_net, {"design.mac=fixed", "array.dataflow=os"}},
        Case{"GroupedElpTinyBuffers", grouped_net, kTiny},
        Case{"PoolFcElpWs", pool_fc_net, {"design.elp.format=elp8"}},
        Case{"PoolFcFixedOs",
             pool_fc_net,
             {"design.mac=fixed", "array.dataflow=os", "design.fixed.weight_bits=6"}},
        Case{"PoolFcElpTinyBuffers", pool_fc_net, with({"design.elp.format=elp4"}, kTiny)},
        Case{"PoolFcElpNarrowAccumulator",
             pool_fc_net,
             {"design.accumulator_bits=18", "design.activation_bits=6"}},
        Case{"ConvElpCompensationBoth", conv_net, {"design.compensation=both"}},
        Case{"ConvElpV2", conv_net, {"design.elp.format=elp5v2"}},
        Case{"PoolFcElpV2TinyBuffersOs", pool_fc_net,
             with({"design.elp.format=elp4v2", "array.dataflow=os"}, kTiny)},
        Case{"GroupedElpV2EightBit", grouped_net, {"design.elp.format=elp8v2"}},
        Case{"ConvElpV2PerLayerSets", conv_net, {"design.elp.format=elp5v2l"}},
        Case{"MobileElpWs", mobile_net, {}},
        Case{"MobileFixedOsTinyBuffers", mobile_net,
             with({"design.mac=fixed", "array.dataflow=os"}, kTiny)},
        Case{"MobileElpFourBitActivations", mobile_net, {"design.activation_bits=4"}},
        Case{"FpnElpWs", fpn_net, {}}, Case{"BatchPoolFcElpWs", pool_fc_net, {"workload.batch=3"}},
        Case{"BatchConvFixedOsTinyBuffers", conv_net,
             with({"design.mac=fixed", "array.dataflow=os", "workload.batch=4"}, kTiny)},
        Case{"BatchGroupedElpTinyBuffers", grouped_net, with({"workload.batch=2"}, kTiny)},
        Case{"BatchMobileFpnOs", mobile_net, {"array.dataflow=os", "workload.batch=3"}},
        Case{"BatchFpnElpWs", fpn_net, {"workload.batch=2", "buffers.output_kib=8"}},
        Case{"FpnFixedOsTinyBuffers", fpn_net,
             with({"design.mac=fixed", "array.dataflow=os"}, kTiny)},
        // Narrow activations and partial sums pack more of them into the same capacity: bigger
        // tiles in the same buffers, the model's wider backing stores must not overlap halves.
        Case{"Act4Acc18MobileTinyBuffers", mobile_net,
             with({"design.activation_bits=4", "design.accumulator_bits=18"}, kTiny)},
        Case{"Act3FpnFixedOsTinyBuffersBatch", fpn_net,
             with({"design.activation_bits=3", "design.mac=fixed", "array.dataflow=os",
                   "design.accumulator_bits=20", "workload.batch=2"},
                  kTiny)},
        Case{"ScaleSimPadsElpWsTinyBuffers", scalesim_net, kTiny},
        Case{"ScaleSimPadsFixedOs", scalesim_net, {"design.mac=fixed", "array.dataflow=os"}},
        // Buffers used whole where the mapper finds it cheaper (mapping.buffering = any): loads
        // and drains wait for the whole buffer, in every dataflow, with a batch and a fused
        // stage; and a network planned in depth-first groups under it.
        Case{"WholeBuffersConvElpWsTiny", conv_net,
             with({"mapping.buffering=any", "mapping.objective=energy"}, kTiny)},
        Case{"WholeBuffersPoolFcFixedOsTinyBatch", pool_fc_net,
             with({"mapping.buffering=any", "design.mac=fixed", "array.dataflow=os",
                   "workload.batch=2"},
                  kTiny)},
        Case{"WholeBuffersGroupedIsTiny", grouped_net,
             with({"mapping.buffering=any", "array.dataflow=is", "mapping.objective=energy"},
                  kTiny)},
        Case{"WholeBuffersMobileAct4FusedTiny", mobile_net,
             with({"mapping.buffering=any", "design.activation_bits=4",
                   "mapping.fusion=fused-stage", "mapping.objective=energy"},
                  kTiny)},
        Case{"WholeBuffersDepthFirstFpn",
             fpn_net,
             {"mapping.buffering=any", "mapping.fusion=depth-first", "buffers.activation_kib=4",
              "buffers.output_kib=1"}},
        // On-chip residency (mapping.fusion = residency, fused-stage): tensors written to and
        // read in place from the activation SRAM, spilled where they do not fit beside others.
        Case{"ResidentConvElpWs", conv_net, {"mapping.fusion=residency"}},
        Case{"ResidentPoolFcFixedOsFused",
             pool_fc_net,
             {"design.mac=fixed", "array.dataflow=os", "mapping.fusion=fused-stage"}},
        Case{"ResidentPoolFcElpTinyBuffers", pool_fc_net,
             with({"mapping.fusion=residency", "buffers.activation_kib=4"}, kTiny)},
        Case{"ResidentGroupedIsTinyBuffers", grouped_net,
             with({"array.dataflow=is", "mapping.fusion=residency", "buffers.activation_kib=4"},
                  kTiny)},
        Case{"ResidentMobileElpWs", mobile_net, {"mapping.fusion=residency"}},
        Case{"ResidentMobileAct4FusedTiny", mobile_net,
             with({"design.activation_bits=4", "mapping.fusion=fused-stage",
                   "buffers.activation_kib=3"},
                  kTiny)},
        Case{"ResidentFpnOsBatch",
             fpn_net,
             {"array.dataflow=os", "workload.batch=2", "mapping.fusion=residency"}},
        Case{"ResidentBatchPoolFcElpWsFused",
             pool_fc_net,
             {"workload.batch=3", "mapping.fusion=fused-stage"}},
        // Depth-first groups chosen by the mapper (mapping.fusion = depth-first): members band
        // by band, tensors between them in windows, resident tensors around them.
        Case{"DepthFirstConvElpWs",
             conv_net,
             {"mapping.fusion=depth-first", "buffers.activation_kib=2"}},
        Case{"DepthFirstPoolFcFixedOs",
             pool_fc_net,
             {"design.mac=fixed", "array.dataflow=os", "mapping.fusion=depth-first",
              "buffers.activation_kib=2"}},
        Case{"DepthFirstConvFixedOsTinyBuffers", conv_net,
             with({"design.mac=fixed", "array.dataflow=os", "mapping.fusion=depth-first"}, kTiny)},
        Case{"DepthFirstGroupedIsAct4",
             grouped_net,
             {"array.dataflow=is", "design.activation_bits=4", "mapping.fusion=depth-first",
              "buffers.activation_kib=1"}},
        Case{"DepthFirstBatchConvElpWs",
             conv_net,
             {"mapping.fusion=depth-first", "buffers.activation_kib=2", "workload.batch=2"}},
        Case{"DepthFirstBatchPoolFcFixedOs",
             pool_fc_net,
             {"design.mac=fixed", "array.dataflow=os", "mapping.fusion=depth-first",
              "buffers.activation_kib=2", "workload.batch=3"}},
        Case{"DepthFirstPoolFcElpSerial",
             pool_fc_net,
             {"design.elp.mac=serial", "mapping.fusion=depth-first", "buffers.activation_kib=2"}},
        Case{"ConvElpCustomThreeTerms",
             conv_net,
             {"design.elp.format=custom", "design.elp.terms=3", "design.elp.shift_bits=2",
              "design.elp.gap_bits=1", "design.elp.positions=7"}},
        // Per-layer formats: 3- and 5-bit codes packed across byte boundaries next to 8-bit ones,
        // on tiny buffers (many blocks), and on the input-stationary array.
        Case{"ConvMixedFixedTinyBuffers", conv_net,
             with({"design.mac=fixed", "design.layer_formats=c3s2p1=fixed3,c1s2=fixed5"}, kTiny)},
        Case{"GroupedMixedFixedIs",
             grouped_net,
             {"design.mac=fixed", "array.dataflow=is", "design.layer_formats=dw=fixed2,pw=fixed6"}},
        Case{"PoolFcMixedFixedDepthFirst",
             pool_fc_net,
             {"design.mac=fixed", "design.fixed.weight_bits=6", "mapping.fusion=depth-first",
              "buffers.activation_kib=2", "design.layer_formats=c2=fixed4, fc=fixed3"}},
        // ELP_BSD v2 layers of other widths and level sets on a loadable-decoder PE: 3-bit codes
        // across byte boundaries, a per-layer set and a fixed (Laplace) one.
        Case{"ConvMixedElpTinyBuffers", conv_net,
             with({"design.elp.format=elp6v2l",
                   "design.layer_formats=c3s2p1=elp3v2/both,c1s2=elp4v2l/none"},
                  kTiny)},
        Case{"GroupedMixedElpIs",
             grouped_net,
             {"design.elp.format=elp5v2l", "array.dataflow=is",
              "design.layer_formats=dw=elp3v2,pw=elp4v2"}},
        Case{"PoolFcMixedElpOsDepthFirst",
             pool_fc_net,
             {"design.elp.format=elp6v2l", "array.dataflow=os", "mapping.fusion=depth-first",
              "buffers.activation_kib=2", "design.layer_formats=c2=elp5v2,fc=elp3v2"}},
        // The three-term loadable PEs: 7-bit codes across byte boundaries with a per-layer set,
        // a three-term fixed set and two-term per-layer sets loaded into elp8v2l's table.
        Case{"ConvElpV2PerLayerSetsSevenBitTinyBuffers", conv_net,
             with({"design.elp.format=elp7v2l"}, kTiny)},
        Case{"GroupedMixedElpEightBitPeIs",
             grouped_net,
             {"design.elp.format=elp8v2l", "array.dataflow=is",
              "design.layer_formats=dw=elp7v2/both,pw=elp4v2l"}},
        Case{"ConvMixedElpEightBitPe",
             conv_net,
             {"design.elp.format=elp8v2l", "design.layer_formats=c3s2p1=elp6v2l,c1s2=elp7v2l"}},
        // Fixed-point layers whose integers the loadable decoder holds, beside ELP_BSD ones.
        Case{"ConvMixedFixedOnElpTinyBuffers", conv_net,
             with({"design.elp.format=elp8v2l",
                   "design.layer_formats=c3s2p1=fixed6/both,c1s2=fixed5,c3valid=elp4v2l"},
                  kTiny)},
        Case{"GroupedMixedFixedOnElpOs",
             grouped_net,
             {"design.elp.format=elp6v2l", "array.dataflow=os",
              "design.layer_formats=dw=fixed3,pw=fixed4"}}),
    [](const auto& info) { return std::string(info.param.name); });

namespace {

// One 20x20x32 -> 48 3x3 conv layer per config, all simulated side by side in one sc_start.
struct LayerRuns {
  std::vector<SimConfig> cfgs;
  std::vector<CompiledNetwork> cns;
  std::vector<std::unique_ptr<Accelerator>> accs;
  const LayerResult& result(std::size_t i) const { return accs[i]->results()[0]; }
};

std::unique_ptr<LayerRuns> run_layers(const std::vector<std::vector<std::string>>& sets,
                                      bool functional = true) {
  auto r = std::make_unique<LayerRuns>();
  NetworkBuilder b("one", {20, 20, 32}, "test");
  b.conv("c", b.input(), 48, 3, 1, 1, A::Relu);
  const Network net = b.build();
  for (const auto& s : sets)
    r->cfgs.push_back(load_sim_config(std::nullopt, s));
  for (const auto& c : r->cfgs) {
    r->cns.push_back(compile_network(net, compile_spec(c, functional), SyntheticWeights(3)));
  }
  std::vector<PlannedRun> runs;
  for (std::size_t i = 0; i < sets.size(); ++i)
    runs.push_back(planned(r->cfgs[i], r->cns[i]));
  r->accs = simulate(runs);
  return r;
}

}  // namespace

// With buffers and columns enough for one tile, the PE array's busy time is exactly the
// dataflow's closed form for the whole layer (greedy mapping: the mapper would cut the layer into
// several tiles so that loads overlap compute).
TEST(AcceleratorTiming, OneTileComputeCyclesEqualClosedForm) {
  // Ports wide enough for the 64 columns' partial sums (NarrowBufferPortsStretchTheTile below).
  const std::vector<std::string> wide = {"buffers.weight_kib=1024", "buffers.activation_kib=1024",
                                         "buffers.output_kib=1024", "mapping.search=greedy",
                                         "buffers.output_port_bytes=1024"};
  auto r = run_layers({with({"array.rows=8", "array.cols=64"}, wide),
                       with({"array.rows=8", "array.cols=64", "array.dataflow=os"}, wide)});
  TileGemm g;
  g.m = 400;
  g.k = 9 * 32;
  g.n = 48;
  const auto& ws = r->result(0);
  EXPECT_EQ(ws.stats.tiles, 1u);
  EXPECT_EQ(ws.stats.compute_cycles, WeightStationary().tile(g, {8, 64}).cycles);
  const auto& os = r->result(1);
  EXPECT_EQ(os.stats.tiles, 1u);
  EXPECT_EQ(os.stats.compute_cycles, OutputStationary().tile(g, {8, 64}).cycles);
  for (const auto* res : {&ws, &os}) {
    EXPECT_EQ(res->cycles >= res->stats.compute_cycles + res->stats.stall_cycles, true);
  }
  EXPECT_EQ(r->accs[0]->compare_outputs()[0], 0u);
  EXPECT_EQ(r->accs[1]->compare_outputs()[0], 0u);
}

// A WS array of 64 columns writes and reads 64 partial sums a cycle (512 B at 32 bits) on every
// row fold; an output-buffer port of 16 B/cycle x 2 banks stretches the tile to the cycles that
// stream needs, and the extra cycles are reported as port stalls.
TEST(AcceleratorTiming, NarrowBufferPortsStretchTheTile) {
  const std::vector<std::string> base = {"array.rows=8",
                                         "array.cols=64",
                                         "buffers.weight_kib=1024",
                                         "buffers.activation_kib=1024",
                                         "buffers.output_kib=1024",
                                         "mapping.search=greedy"};
  auto r = run_layers({with(base, {"buffers.output_port_bytes=1024"}),
                       with(base, {"buffers.output_port_bytes=16", "buffers.output_banks=2"})});
  const auto& wide = r->result(0);
  const auto& narrow = r->result(1);
  ASSERT_EQ(wide.stats.tiles, 1u);
  ASSERT_EQ(narrow.stats.tiles, 1u);
  EXPECT_EQ(wide.stats.array.port_stall_cycles, 0u);
  // M = 400 pixels, K = 288 = 36 row folds, N = 48: 36 x 400 x 48 psum writes, 35 x ... reads.
  const std::uint64_t psum_bytes = (36u + 35u) * 400u * 48u * 4u;
  const std::uint64_t port_cycles = (psum_bytes + 31) / 32;
  EXPECT_EQ(narrow.stats.compute_cycles, port_cycles);
  EXPECT_GT(port_cycles, wide.stats.compute_cycles);
  EXPECT_EQ(narrow.stats.array.port_stall_cycles, port_cycles - wide.stats.compute_cycles);
  EXPECT_EQ(r->accs[1]->compare_outputs()[0], 0u);
}

// The same plan (greedy: the mapper would choose other tiles for the slower DRAM) on slower DRAM
// computes as long and waits longer.
TEST(AcceleratorTiming, LowDramBandwidthStalls) {
  const std::vector<std::string> base = {"array.rows=8", "array.cols=8", "dram.latency_cycles=0",
                                         "mapping.search=greedy"};
  auto r = run_layers(
      {with(base, {"dram.bytes_per_cycle=1024"}), with(base, {"dram.bytes_per_cycle=0.25"})},
      false);
  const auto& f = r->result(0);
  const auto& s = r->result(1);
  EXPECT_EQ(f.stats.compute_cycles, s.stats.compute_cycles);
  EXPECT_GT(s.stats.stall_cycles, 10 * f.stats.stall_cycles + 1000);
  EXPECT_GT(s.cycles, f.cycles);
  // At 0.25 B/cycle the layer cannot be faster than its DRAM traffic allows.
  const double bytes = (s.traffic.dram.total_read_bits() + s.traffic.dram.total_write_bits()) / 8.0;
  EXPECT_GE(static_cast<double>(s.cycles), bytes / 0.25);
  // Fast DRAM: stalls are a small part of the layer.
  EXPECT_LT(static_cast<double>(f.stats.stall_cycles), 0.05 * static_cast<double>(f.cycles));
}

// Packed code words move their real bits: 5-bit ELP_BSD weights cost 5/8 of 8-bit fixed point,
// and a layer of 3-bit weights on the fixed8 PE or the elp6v2l PE (design.layer_formats) 3/8.
TEST(AcceleratorTraffic, WeightBytesFollowCodeWidth) {
  auto r = run_layers(
      {{"buffers.weight_kib=1024", "design.mac=elp", "design.elp.format=elp5"},
       {"buffers.weight_kib=1024", "design.mac=fixed"},
       {"buffers.weight_kib=1024", "design.mac=fixed", "design.layer_formats=c=fixed3"},
       {"buffers.weight_kib=1024", "design.elp.format=elp6v2l", "design.layer_formats=c=elp3v2"}},
      false);
  const int w = static_cast<int>(Operand::Weights);
  const std::uint64_t weights = 48 * 9 * 32;
  EXPECT_EQ(r->result(1).traffic.dram.read_bits[w], weights * 8);
  // Every weight goes into the weight buffer once and reaches the array once per tile.
  for (const auto& [run, bits] : {std::pair<std::size_t, std::uint64_t>{0, 5}, {2, 3}, {3, 3}}) {
    EXPECT_EQ(r->result(run).traffic.dram.read_bits[w], weights * bits);
    EXPECT_EQ(r->result(run).traffic.weight_buffer.write_bits[w], weights * bits);
    EXPECT_EQ(r->result(run).traffic.weight_buffer.read_bits[w],
              r->result(run).stats.array.weight_reads * bits);
  }
  EXPECT_EQ(r->cns[2].code_bits(0), 3);
  EXPECT_EQ(r->cns[2].widths.code_bits, 8);  // the PE's
  EXPECT_EQ(r->cns[3].code_bits(0), 3);
  EXPECT_EQ(r->cns[3].widths.code_bits, 6);
}

// A layer that does not fit is a planning outcome (a value), found before anything is elaborated:
// which layer, which buffer, how many bytes it needs and how many it is short.
TEST(AcceleratorTiling, LayerTooLargeForBufferIsAnInfeasiblePlan) {
  const SimConfig cfg = load_sim_config(std::nullopt, {"buffers.weight_kib=1"});
  NetworkBuilder b("big-kernel", {40, 40, 2}, "test");
  const int x = b.conv("pointwise", b.input(), 4, 1, 1, 0, A::None);
  b.conv("k31", x, 4, 31, 1, 15, A::None);
  const CompiledNetwork cn =
      compile_network(b.build(), compile_spec(cfg, false), SyntheticWeights(1));
  const PlanResult p = plan(cfg, cn);
  ASSERT_TRUE(p.infeasible.has_value());
  const Infeasibility& why = *p.infeasible;
  EXPECT_EQ(why.layer, 1);
  EXPECT_EQ(why.layer_name, "k31");
  EXPECT_EQ(why.buffer, "weight buffer");
  EXPECT_EQ(why.config_key, "buffers.weight_kib");
  // The smallest block: one output channel's 31 x 31 kernel over one input channel.
  const std::uint64_t need = (31u * 31u * static_cast<std::uint64_t>(cn.widths.code_bits) + 7) / 8;
  EXPECT_EQ(why.need_bytes, need);
  EXPECT_EQ(why.half_bytes, 512u);
  EXPECT_EQ(why.bytes_short(), need - 512u);
  EXPECT_EQ(why.min_kib(), (2 * need + 1023) / 1024);
  const std::string m = why.message();
  EXPECT_NE(m.find("k31"), std::string::npos) << m;
  EXPECT_NE(m.find("buffers.weight_kib to at least " + std::to_string(why.min_kib())),
            std::string::npos)
      << m;
  // The size the message asks for is enough.
  const SimConfig bigger =
      load_sim_config(std::nullopt, {"buffers.weight_kib=" + std::to_string(why.min_kib())});
  EXPECT_FALSE(plan(bigger, cn).infeasible.has_value());
}

// Term-serial ELP_BSD MACs: a fold's steps take as many cycles as its slowest weight has terms.
// With one-term codes (elp4) that is one cycle, exactly the parallel MAC; with two-term codes it
// is two, and every layer gets slower by almost exactly 2x.
TEST(AcceleratorTiming, TermSerialStepsFollowTheWeights) {
  const std::vector<std::string> base = {"array.rows=8", "array.cols=8", "buffers.weight_kib=1024",
                                         "buffers.activation_kib=1024", "buffers.output_kib=1024"};
  auto r = run_layers({with(base, {"design.elp.format=elp4"}),
                       with(base, {"design.elp.format=elp4", "design.elp.mac=serial"}),
                       with(base, {"design.elp.format=elp5"}),
                       with(base, {"design.elp.format=elp5", "design.elp.mac=serial"})},
                      false);
  EXPECT_EQ(r->result(1).stats.compute_cycles, r->result(0).stats.compute_cycles);
  const double ratio = static_cast<double>(r->result(3).stats.compute_cycles) /
                       static_cast<double>(r->result(2).stats.compute_cycles);
  // Every fold of 64 random Laplace weights holds a two-term weight; only the exposed first
  // weight load (8 cycles) is not doubled.
  EXPECT_GT(ratio, 1.99);
  EXPECT_LE(ratio, 2.0);
}

namespace {

// The configured datapath with one injected fault, to check that `run` notices a wrong datapath:
// kShift doubles every product (a shifter one position off), kNonlinear is wrong only for the
// activation value 3 (a fault the weight table alone would not show).
class FaultyMac final : public MacModel {
 public:
  enum Fault { kShift, kNonlinear };
  FaultyMac(std::unique_ptr<MacModel> inner, Fault f) : inner_(std::move(inner)), fault_(f) {}
  std::string name() const override { return inner_->name(); }
  std::string kind() const override { return inner_->kind(); }
  int code_bits() const override { return inner_->code_bits(); }
  const LevelQuantizer& quantizer() const override { return inner_->quantizer(); }
  std::uint32_t encode(std::int32_t level) const override { return inner_->encode(level); }
  std::int32_t decode(std::uint32_t code) const override { return inner_->decode(code); }
  std::int64_t mac(std::int64_t acc, std::int32_t a, std::uint32_t code) const override {
    const std::int64_t p = inner_->mac(0, a, code);
    if (fault_ == kShift) return acc + 2 * p;
    return acc + (a == 3 && p != 0 ? p + 1 : p);
  }
  MacActions actions(std::uint32_t code) const override { return inner_->actions(code); }
  CellCounts cells(const MacActions& a) const override { return inner_->cells(a); }
  const MacWidths& widths() const override { return inner_->widths(); }

 private:
  std::unique_ptr<MacModel> inner_;
  Fault fault_;
};

struct FaultRun {
  std::int64_t output_mismatches = 0, datapath_mismatches = 0, total = 0;
};

FaultRun mismatches_of(const RunResult& r) {
  FaultRun f;
  for (const auto& row : r.rows) {
    f.output_mismatches += std::max<std::int64_t>(0, row.mismatches);
    f.datapath_mismatches += std::max<std::int64_t>(0, row.datapath_mismatches);
  }
  f.total = r.mismatches;
  return f;
}

}  // namespace

// The functional model's products come from the MAC datapath: a faulty datapath makes the run
// report mismatches (output elements, or datapath products against the table), for both designs.
TEST(AcceleratorDatapath, FaultyMacIsReportedAsMismatch) {
  // Both designs, each fault-free, with a shift fault and with a nonlinear fault: six
  // accelerators in one simulation (the kernel starts once per process).
  std::vector<SimConfig> cfgs;
  for (const char* mac : {"design.mac=elp", "design.mac=fixed"})
    cfgs.push_back(load_sim_config(std::nullopt, {"array.rows=4", "array.cols=5", mac}));
  std::vector<CompiledNetwork> cns;
  for (const auto& cfg : cfgs)
    cns.push_back(compile_network(conv_net(), compile_spec(cfg, true), SyntheticWeights(7)));
  std::vector<RunRequest> req;
  for (std::size_t d = 0; d < cfgs.size(); ++d) {
    const SimConfig* cfg = &cfgs[d];
    const CompiledNetwork* cn = &cns[d];
    req.push_back({cfg, cn, true});
    for (const auto f : {FaultyMac::kShift, FaultyMac::kNonlinear}) {
      req.push_back({cfg, cn, true, [cfg, cn, f](bool sign) -> std::unique_ptr<MacModel> {
                       return std::make_unique<FaultyMac>(
                           make_mac_model(cfg->design, cn->mac, sign), f);
                     }});
    }
  }
  const EnergyModel em(EnergyTable::load(cfgs.front().energy_table_path));
  const auto results = run_simulations(req, em);
  for (std::size_t d = 0; d < cfgs.size(); ++d) {
    const std::string name = to_string(cfgs[d].design.mac);
    const FaultRun good = mismatches_of(results[3 * d]);
    const FaultRun shift = mismatches_of(results[3 * d + 1]);
    const FaultRun nonlinear = mismatches_of(results[3 * d + 2]);
    EXPECT_EQ(good.total, 0) << name;
    EXPECT_EQ(good.datapath_mismatches, 0) << name;
    EXPECT_GT(shift.output_mismatches, 0) << name;
    EXPECT_GT(shift.total, 0) << name;
    EXPECT_GT(nonlinear.datapath_mismatches, 0) << name;
    EXPECT_GT(nonlinear.total, 0) << name;
  }
}

// A run refuses a network compiled for another configuration (a caller's bug: the energies would
// belong to another design), and a functional run of a network without its golden values.
TEST(RunPipeline, RefusesANetworkCompiledForAnotherConfiguration) {
  const SimConfig elp5 = load_sim_config(std::nullopt, {});
  const SimConfig elp6 = load_sim_config(std::nullopt, {"design.elp.format=elp6"});
  const SimConfig rows8 = load_sim_config(std::nullopt, {"array.rows=8"});
  const CompiledNetwork cn =
      compile_network(conv_net(), compile_spec(elp5, true), SyntheticWeights(7));
  const CompiledNetwork sampled =
      compile_network(conv_net(), compile_spec(elp5, false), SyntheticWeights(7));
  const EnergyModel em = energy_model(elp5);
  try {
    run_simulations({{&elp6, &cn, false}}, em);
    ADD_FAILURE() << "a network compiled for elp5 ran as elp6";
  } catch (const InternalError& e) {
    EXPECT_NE(std::string(e.what()).find("elp6"), std::string::npos) << e.what();
  }
  EXPECT_THROW(run_simulations({{&elp5, &sampled, true}}, em), InternalError);
  // The array is not compiled for: the same network serves every array size.
  const auto r = run_simulations({{&rows8, &cn, true}, {&elp5, &cn, true}}, em);
  EXPECT_EQ(r[0].mismatches, 0);
  EXPECT_EQ(r[1].mismatches, 0);
}

namespace {

// A residual stack as a depth-first group's test bed: a strided conv, two 3 x 3 convs and a
// residual add over the first's output, a max pooling, a 1 x 1 conv.
Network stack_net() {
  NetworkBuilder b("stack", {20, 18, 6}, "test");
  const int x = b.conv("c0", b.input(), 12, 3, 2, 1, A::Relu);  // 10 x 9 x 12
  int y = b.conv("c1", x, 12, 3, 1, 1, A::Relu);
  y = b.conv("c2", y, 12, 3, 1, 1, A::None);
  y = b.add("add", y, x, A::Relu);
  y = b.max_pool("pool", y, 3, 2, 1);  // 5 x 5 x 12
  b.conv("c3", y, 16, 1, 1, 0, A::None);
  return b.build();
}

// The stack planned with depth-first groups (PlanParams::groups) on several configurations,
// simulated side by side (one SystemC kernel per process): per run and layer, its mismatches and
// its traffic.
struct GroupRuns {
  std::vector<std::unique_ptr<SimConfig>> cfgs;
  std::vector<std::unique_ptr<CompiledNetwork>> cns;
  std::vector<std::unique_ptr<Accelerator>> accs;
};
std::unique_ptr<GroupRuns> run_groups(
    const std::vector<std::pair<std::vector<std::string>, std::vector<PlanParams::Group>>>& runs,
    Network (*net)() = stack_net) {
  auto r = std::make_unique<GroupRuns>();
  std::vector<PlannedRun> planned;
  for (const auto& [sets, groups] : runs) {
    r->cfgs.push_back(std::make_unique<SimConfig>(load_sim_config(std::nullopt, sets)));
    const SimConfig& cfg = *r->cfgs.back();
    r->cns.push_back(std::make_unique<CompiledNetwork>(
        compile_network(net(), compile_spec(cfg, true), SyntheticWeights(7))));
    if (cfg.batch > 1) add_batch_references(*r->cns.back(), SyntheticWeights(7), cfg.batch);
    const CompiledNetwork& cn = *r->cns.back();
    const EnergyModel em = energy_model(cfg);
    const auto macs = mac_energies(cn, cfg, em, mac_circuit_fnv1a64(cfg));
    const auto df = make_dataflow(cfg.array.dataflow);
    PlanParams params = plan_params(cfg, cn, df.get());
    const Schedule s = choose_schedule(cfg, cn, params, em, macs);
    params.fused_stage = s.fused_stage;
    params.resident = s.resident;
    params.groups = groups;
    PlanResult p = plan_network(cn, params);
    if (p.infeasible) throw std::runtime_error("does not fit: " + p.infeasible->message());
    planned.push_back({&cfg, &cn, std::move(p.plan), true, nullptr});
  }
  r->accs = simulate(std::move(planned));
  return r;
}

// Branches joined by concatenation as a depth-first group's test bed: an inception block (a 1 x 1
// branch, a 1 x 1 -> 3 x 3 branch, a pooling -> 1 x 1 branch, concatenated), then a feature
// pyramid's top-down step (a strided conv, nearest upsampling, concatenated with the block's
// output) and a 1 x 1 conv.
Network branch_net() {
  NetworkBuilder b("branches", {16, 14, 6}, "test");
  const int x = b.conv("c0", b.input(), 8, 3, 1, 1, A::Relu);  // 0: 16 x 14 x 8
  const int a = b.conv("a1", x, 6, 1, 1, 0, A::Relu);          // 1
  int c = b.conv("b1", x, 4, 1, 1, 0, A::Relu);                // 2
  c = b.conv("b2", c, 6, 3, 1, 1, A::Relu);                    // 3
  int p = b.max_pool("p", x, 3, 1, 1);                         // 4
  p = b.conv("p1", p, 4, 1, 1, 0, A::Relu);                    // 5
  const int y = b.concat("cat", {a, c, p});                    // 6: 16 x 14 x 16
  const int d = b.conv("down", y, 8, 3, 2, 1, A::Relu);        // 7: 8 x 7 x 8
  const int u = b.upsample("up", d, 2, 2);                     // 8: 16 x 14 x 8
  const int z = b.concat("fpn", {u, y});                       // 9: 16 x 14 x 24
  b.conv("out", z, 10, 1, 1, 0, A::None);                      // 10
  return b.build();
}

}  // namespace

// Depth-first groups across concatenations and upsampling (docs/mapping.md "Depth-first"): an
// inception block from its first branch to its concat, with or without the conv before it; the
// pyramid step from the strided conv through the upsampling and the concat to the last conv; the
// whole network as one group. Bit-exact in both dataflows, every band size and row policy, with
// a batch; a member whose inputs all come from members reads nothing from DRAM, and only the
// last member writes there. The mapper, given the choice, groups across a concat too.
TEST(DepthFirst, GroupsAcrossConcatAndUpsamplingRunBitExact) {
  std::vector<std::pair<std::vector<std::string>, std::vector<PlanParams::Group>>> runs;
  for (const char* df : {"ws", "os"})
    for (int rows : {1, 3, 16})
      for (bool cached : {false, true})
        runs.push_back({{std::string("array.dataflow=") + df, "array.rows=4", "array.cols=5",
                         "buffers.weight_kib=4"},
                        {{1, 6, rows, cached}, {7, 10, rows, cached}}});
  runs.push_back({{"buffers.weight_kib=4"}, {{0, 6, 2, true}}});
  runs.push_back({{"buffers.weight_kib=4"}, {{0, 10, 4, false}}});
  runs.push_back(
      {{"workload.batch=2", "buffers.weight_kib=4"}, {{0, 6, 3, true}, {7, 10, 2, false}}});
  const auto r = run_groups(runs, branch_net);
  const int I = static_cast<int>(Operand::Inputs), O = static_cast<int>(Operand::Outputs);
  for (std::size_t k = 0; k < runs.size(); ++k) {
    const CompiledNetwork& cn = *r->cns[k];
    const auto mism = r->accs[k]->compare_outputs();
    for (std::size_t li = 0; li < mism.size(); ++li)
      EXPECT_EQ(mism[li], 0u) << "run " << k << " layer " << cn.net.layers[li].name;
    const auto& res = r->accs[k]->results();
    const auto& plan = r->accs[k]->plan();
    for (const PlanParams::Group& g : runs[k].second) {
      for (int li = g.first; li <= g.last; ++li) {
        const auto l = static_cast<std::size_t>(li);
        EXPECT_EQ(plan.layers[l].group, g.first) << "run " << k << " layer " << li;
        bool inputs_inside = true;
        for (int t : cn.net.layers[l].inputs) {
          bool made = false;
          for (int m = g.first; m <= g.last; ++m)
            made = made || cn.net.layers[static_cast<std::size_t>(m)].output == t;
          inputs_inside = inputs_inside && made;
        }
        if (inputs_inside) {
          EXPECT_EQ(res[l].traffic.dram.read_bits[I], 0u) << "run " << k << " layer " << li;
        }
        if (li < g.last) {
          EXPECT_EQ(res[l].traffic.dram.write_bits[O], 0u) << "run " << k << " layer " << li;
        }
      }
    }
  }
  const SimConfig cfg =
      load_sim_config(std::nullopt, {"mapping.fusion=depth-first", "buffers.activation_kib=2"});
  const CompiledNetwork cn =
      compile_network(branch_net(), compile_spec(cfg, false), SyntheticWeights(7));
  const EnergyModel em = energy_model(cfg);
  const auto df = make_dataflow(cfg.array.dataflow);
  const Schedule s = choose_schedule(cfg, cn, plan_params(cfg, cn, df.get()), em,
                                     mac_energies(cn, cfg, em, mac_circuit_fnv1a64(cfg)));
  bool across = false;
  for (const PlanParams::Group& g : s.groups)
    across = across || (g.first < 6 && g.last >= 6) || (g.first < 9 && g.last >= 9);
  EXPECT_TRUE(across) << s.groups.size() << " groups, none across a concat";
}

// Depth-first groups (docs/mapping.md "Depth-first"): members run band by band, the tensors
// between them in windows of the activation SRAM; outputs equal the integer reference, every
// band's rows of every member checked while in its window, and no member between the first and
// the last touches DRAM for its input or output.
TEST(DepthFirst, GroupsRunBitExact) {
  std::vector<std::pair<std::vector<std::string>, std::vector<PlanParams::Group>>> runs;
  for (const char* df : {"ws", "os", "is"})
    for (int rows : {1, 2, 5})
      for (bool cached : {false, true})
        runs.push_back({{std::string("array.dataflow=") + df, "array.rows=4", "array.cols=5",
                         "buffers.weight_kib=4"},
                        {{0, 4, rows, cached}}});
  // Weights too large to pin (reloaded per band), a fused output stage and a 4-bit activation
  // group, two groups in one network.
  runs.push_back({{"buffers.weight_kib=1", "mapping.fusion=fused-stage"}, {{0, 4, 3, true}}});
  runs.push_back({{"design.activation_bits=4", "design.accumulator_bits=20"},
                  {{1, 2, 2, true}, {3, 5, 1, false}}});
  // A group of one plan: c1 in bands of two rows, its 810 bytes of weights pinned in a weight
  // buffer whose half (512 bytes) cannot hold them, so they are loaded once, not per band (c1
  // planned alone in these buffers loads them five times).
  const std::size_t one_plan = runs.size();
  runs.push_back({{"buffers.weight_kib=1", "buffers.activation_kib=1"}, {{1, 1, 2, false}}});
  // A batch, image by image through the same windows: recomputed and cached rows, a fused stage,
  // and the one-plan group (weights loaded once for the whole batch).
  runs.push_back({{"workload.batch=2"}, {{0, 4, 2, false}}});
  runs.push_back(
      {{"workload.batch=3", "array.dataflow=os", "mapping.fusion=fused-stage"}, {{0, 4, 3, true}}});
  const std::size_t batch_one_plan = runs.size();
  runs.push_back({{"workload.batch=3", "buffers.weight_kib=1", "buffers.activation_kib=1"},
                  {{1, 1, 2, false}}});
  const auto r = run_groups(runs);
  for (const std::size_t k : {one_plan, batch_one_plan}) {
    const CompiledNetwork& cn = *r->cns[k];
    const int W = static_cast<int>(Operand::Weights);
    EXPECT_EQ(r->accs[k]->results()[1].traffic.dram.read_bits[W],
              cn.layers[1].wq.size() * static_cast<std::uint64_t>(cn.widths.code_bits));
  }
  const int I = static_cast<int>(Operand::Inputs), O = static_cast<int>(Operand::Outputs);
  for (std::size_t k = 0; k < runs.size(); ++k) {
    const auto mism = r->accs[k]->compare_outputs();
    for (std::size_t li = 0; li < mism.size(); ++li)
      EXPECT_EQ(mism[li], 0u) << runs[k].first[0] << " rows " << runs[k].second[0].rows
                              << (runs[k].second[0].cached ? " cached" : "") << " layer " << li;
    const auto& res = r->accs[k]->results();
    const auto& plan = r->accs[k]->plan();
    for (const PlanParams::Group& g : runs[k].second) {
      EXPECT_FALSE(plan.layers[static_cast<std::size_t>(g.first)].units.empty());
      for (int li = g.first; li <= g.last; ++li) {
        const auto l = static_cast<std::size_t>(li);
        EXPECT_EQ(plan.layers[l].group, g.first);
        EXPECT_TRUE(plan.layers[l].jobs.empty());
        // Only the stack's input (and a residual operand from before the group) is read from
        // DRAM; only the last member writes it.
        if (li > g.first && li != 3) {
          EXPECT_EQ(res[l].traffic.dram.read_bits[I], 0u) << li;
        }
        if (li < g.last) {
          EXPECT_EQ(res[l].traffic.dram.write_bits[O], 0u) << li;
        }
      }
    }
  }
}

// A layer of design.layer_formats is the narrower uniform design's layer (the same integer
// weights and scales: the quantization reads the weights alone) priced as the PE of the design
// it runs on: its MAC energy equals that of the same weight values held as the wide PE's own
// codes (sign-extended), on simulated operands and at the characterisation's reference
// statistics. A stored code used as the PE's (no sign extension) prices negative weights as
// large positive ones and fails.
TEST(LayerFormats, ANarrowLayerIsTheNarrowFormatsWeightsPricedOnTheWidePe) {
  const Network net = conv_net();
  const SyntheticWeights src(7);
  const SimConfig mixed = load_sim_config(
      std::nullopt, {"design.mac=fixed", "design.layer_formats=c1s2=fixed4,c3s2p1=fixed3"});
  const SimConfig uni4 =
      load_sim_config(std::nullopt, {"design.mac=fixed", "design.fixed.weight_bits=4"});
  const SimConfig uni8 = load_sim_config(std::nullopt, {"design.mac=fixed"});
  const EnergyModel em = energy_model(mixed);
  for (const bool calibrate : {true, false}) {
    const CompiledNetwork cm = compile_network(net, compile_spec(mixed, calibrate), src);
    const CompiledNetwork c4 = compile_network(net, compile_spec(uni4, calibrate), src);
    const CompiledNetwork c8 = compile_network(net, compile_spec(uni8, calibrate), src);
    const std::size_t narrow = 2, wide = 1;  // c1s2, c5x3p2
    ASSERT_EQ(net.layers[narrow].name, "c1s2");
    EXPECT_EQ(cm.layers[narrow].wq, c4.layers[narrow].wq);
    EXPECT_EQ(cm.layers[narrow].w_scale, c4.layers[narrow].w_scale);
    EXPECT_EQ(cm.layers[wide].wq, c8.layers[wide].wq);
    EXPECT_EQ(cm.code_bits(narrow), 4);
    EXPECT_EQ(cm.code_bits(0), 3);
    EXPECT_EQ(cm.code_bits(wide), 8);
    bool negative = false;
    for (const auto v : cm.layers[narrow].wq)
      negative = negative || v < 0;
    ASSERT_TRUE(negative) << "no negative weight: the sign extension is not exercised";

    // The same layer with its weights held as fixed8 codes.
    CompiledNetwork held = cm;
    CompiledLayer& h = held.layers[narrow];
    auto fixed8 = make_mac_model(uni8.design, MacKind::FixedPoint, h.in_signed);
    h.code_uses.assign(256, 0);
    for (std::size_t i = 0; i < h.wq.size(); ++i)
      ++h.code_uses[fixed8->encode(h.wq[i])];
    h.mac = std::shared_ptr<const MacModel>(fixed8.release());
    const std::string circuit = mac_circuit_fnv1a64(mixed);
    const auto got = mac_energies(cm, mixed, em, circuit);
    const auto want = mac_energies(held, mixed, em, circuit);
    EXPECT_TRUE(got[narrow].characterised);
    EXPECT_EQ(got[narrow].simulated_operands, calibrate);
    EXPECT_DOUBLE_EQ(got[narrow].pj, want[narrow].pj) << "calibrated " << calibrate;
    EXPECT_GT(got[narrow].pj, 0.0);
  }
}

// FORMAT/COMPENSATION gives a layer its own compensation: the first layer (its input is the
// image, so upstream layers cannot change it) compiles as the uniform design with that
// compensation does, not as with the design's own.
TEST(LayerFormats, ALayersOwnCompensationIsTheUniformDesignsWithIt) {
  const Network net = conv_net();
  const SyntheticWeights src(7);
  auto compiled = [&](std::vector<std::string> sets) {
    sets.push_back("design.mac=fixed");
    return compile_network(net, compile_spec(load_sim_config(std::nullopt, sets), true), src);
  };
  const CompiledNetwork mixed = compiled(
      {"design.compensation=output_constant", "design.layer_formats=c3s2p1=fixed3/error_feedback"});
  const CompiledNetwork feedback =
      compiled({"design.fixed.weight_bits=3", "design.compensation=error_feedback"});
  const CompiledNetwork constant =
      compiled({"design.fixed.weight_bits=3", "design.compensation=output_constant"});
  ASSERT_EQ(net.layers[0].name, "c3s2p1");
  EXPECT_EQ(mixed.layers[0].wq, feedback.layers[0].wq);
  EXPECT_EQ(mixed.layers[0].bias, feedback.layers[0].bias);
  EXPECT_TRUE(mixed.layers[0].wq != constant.layers[0].wq ||
              mixed.layers[0].bias != constant.layers[0].bias)
      << "the compensations compile the layer alike";
}

// A layer of another ELP_BSD v2 format on a loadable-decoder PE (design.layer_formats) is the
// uniform design's layer (the level set chosen from the same weights, the same integer weights and
// scales), stored at its own width and priced as the PE's circuit: its b-bit code S | I indexes
// the PE's table at I with the sign at the PE code's top bit, so its MAC energy equals that of the
// layer with those PE codes written by hand and held by a PE-wide level set whose first entries
// are the layer's magnitudes (a characterisation prices the level an entry holds). Using the
// stored code as the PE's (no relayout) prices every negative weight as a positive magnitude and
// fails.
TEST(LayerFormats, AnElpLayerOnALoadableDecoderIsItsOwnFormatsLayerPricedOnThePe) {
  const Network net = conv_net();
  const SyntheticWeights src(7);
  const SimConfig mixed = load_sim_config(
      std::nullopt,
      {"design.elp.format=elp6v2l", "design.layer_formats=c1s2=elp4v2l,c3s2p1=elp3v2"});
  const SimConfig uni4 = load_sim_config(std::nullopt, {"design.elp.format=elp4v2l"});
  const SimConfig uni6 = load_sim_config(std::nullopt, {"design.elp.format=elp6v2l"});
  const EnergyModel em = energy_model(mixed);
  for (const bool calibrate : {true, false}) {
    const CompiledNetwork cm = compile_network(net, compile_spec(mixed, calibrate), src);
    const CompiledNetwork c4 = compile_network(net, compile_spec(uni4, calibrate), src);
    const CompiledNetwork c6 = compile_network(net, compile_spec(uni6, calibrate), src);
    const std::size_t narrow = 2, wide = 1;  // c1s2, c5x3p2
    ASSERT_EQ(net.layers[narrow].name, "c1s2");
    const auto& lm = dynamic_cast<const ElpLutMac&>(*cm.layers[narrow].mac);
    const auto& l4 = dynamic_cast<const ElpLutMac&>(*c4.layers[narrow].mac);
    EXPECT_EQ(lm.format().magnitudes(), l4.format().magnitudes());
    EXPECT_EQ(cm.layers[narrow].wq, c4.layers[narrow].wq);
    EXPECT_EQ(cm.layers[narrow].w_scale, c4.layers[narrow].w_scale);
    EXPECT_EQ(cm.layers[wide].wq, c6.layers[wide].wq);
    EXPECT_EQ(cm.code_bits(narrow), 4);
    EXPECT_EQ(cm.code_bits(0), 3);
    EXPECT_EQ(cm.code_bits(wide), 6);
    EXPECT_EQ(cm.widths.code_bits, 6);
    // The table a layer loads is its own magnitudes in the PE's fields.
    EXPECT_EQ(lm.layer_setup_cells().dff, 7.0 * 2 * (2 + 3));
    bool negative = false;
    for (const auto v : cm.layers[narrow].wq)
      negative = negative || v < 0;
    ASSERT_TRUE(negative) << "no negative weight: the sign's relayout is not exercised";

    CompiledNetwork held = cm;
    CompiledLayer& h = held.layers[narrow];
    const ElpLutParams& p6 = *uni6.design.elp_v2;
    std::vector<std::int32_t> levels = lm.format().magnitudes();
    for (std::int32_t v : signed_digit_values(p6.positions, p6.terms))
      if (levels.size() < 31 && v > levels.back()) levels.push_back(v);
    auto pe = make_layer_mac_with_levels(uni6.design, MacKind::ElpBsd, h.in_signed, levels);
    // The layer's codes relaid out into the held set's (the sign to the top bit of six).
    h.code_uses.assign(64, 0);
    for (std::size_t i = 0; i < h.wq.size(); ++i) {
      const std::uint32_t c = h.mac->encode(h.wq[i]);
      const std::uint32_t held_code = ((c >> 3) << 5) | (c & 7u);
      ASSERT_EQ(pe->encode(h.wq[i]), held_code) << h.wq[i];
      ++h.code_uses[held_code];
    }
    h.mac = std::shared_ptr<const MacModel>(pe.release());
    const std::string circuit = mac_circuit_fnv1a64(mixed);
    ASSERT_EQ(circuit, mac_circuit_fnv1a64(uni6));  // the PE's circuit
    const auto got = mac_energies(cm, mixed, em, circuit);
    const auto want = mac_energies(held, mixed, em, circuit);
    EXPECT_TRUE(got[narrow].characterised);
    EXPECT_EQ(got[narrow].simulated_operands, calibrate);
    // The table load is the layer's own (7 entries); the held PE-wide set's MAC loads 31.
    EXPECT_NEAR(got[narrow].pj - em.cells_pj(lm.layer_setup_cells()),
                want[narrow].pj - em.cells_pj(h.mac->layer_setup_cells()), 1e-9 * got[narrow].pj)
        << "calibrated " << calibrate;
    EXPECT_GT(got[narrow].pj, 0.0);
  }
}

// Fixed point on a loadable-decoder PE (design.layer_formats): the integers 1 .. 2^(b-1) - 1 are a
// level set the decoder holds when it has terms enough, so the layer is the fixed-point design's
// layer (the same integer weights and scales), stored at its own width as S | magnitude codes, and
// runs bit-exact (BitExact.*FixedOnElp*). A width whose integers need more terms than the PE has
// is refused, naming the field and the formats the PE runs.
TEST(LayerFormats, AFixedPointLayerOnALoadableDecoderIsTheFixedDesignsLayer) {
  const Network net = conv_net();
  const SyntheticWeights src(7);
  const SimConfig mixed = load_sim_config(
      std::nullopt,
      {"design.elp.format=elp8v2l", "design.layer_formats=c1s2=fixed5,c3s2p1=fixed3"});
  const SimConfig uni5 =
      load_sim_config(std::nullopt, {"design.mac=fixed", "design.fixed.weight_bits=5"});
  for (const bool calibrate : {true, false}) {
    const CompiledNetwork cm = compile_network(net, compile_spec(mixed, calibrate), src);
    const CompiledNetwork c5 = compile_network(net, compile_spec(uni5, calibrate), src);
    const std::size_t narrow = 2;  // c1s2
    ASSERT_EQ(net.layers[narrow].name, "c1s2");
    const auto& lm = dynamic_cast<const ElpLutMac&>(*cm.layers[narrow].mac);
    EXPECT_EQ(lm.name(), "fixed5");
    std::vector<std::int32_t> integers;
    for (std::int32_t m = 1; m <= 15; ++m)
      integers.push_back(m);
    EXPECT_EQ(lm.format().magnitudes(), integers);
    EXPECT_EQ(cm.layers[narrow].wq, c5.layers[narrow].wq);
    EXPECT_EQ(cm.layers[narrow].w_scale, c5.layers[narrow].w_scale);
    EXPECT_EQ(cm.code_bits(narrow), 5);
    EXPECT_EQ(cm.code_bits(0), 3);
    EXPECT_EQ(cm.widths.code_bits, 8);
  }
  // fixed5's 11 = 8 + 2 + 1 needs three signed digits: not on the two-term elp6v2l.
  try {
    load_sim_config(std::nullopt,
                    {"design.elp.format=elp6v2l", "design.layer_formats=c1s2=fixed5"});
    ADD_FAILURE() << "fixed5 accepted on a two-term PE";
  } catch (const UserError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("design.layer_formats"), std::string::npos) << m;
    EXPECT_NE(m.find("\"fixed5\" is not a format the elp6v2l PE runs"), std::string::npos) << m;
    EXPECT_NE(m.find("elp6v2l, fixed3, fixed4"), std::string::npos) << m;
  }
}
