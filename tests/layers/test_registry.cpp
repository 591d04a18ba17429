// The layer-kind registry (modules/layers/): every type the tool knows is in it, complete, and
// consistent across the places that use it. The parameter-free kinds are tested here generically,
// so a new one (docs/extending.md) is simulated, checked bit for bit, held to its float function
// and read from JSON and ONNX without a test of its own; tests/layers/test_abs.cpp is what a
// kind's own test adds.
#include <algorithm>
#include <fstream>
#include <gtest/gtest.h>
#include <sstream>
#include <tuple>

#include "modules/base/error.h"
#include "modules/controller/layer_plan.h"
#include "modules/layers/layer_kind.h"
#include "modules/layers/network_builder.h"
#include "sim/quant/compiler.h"
#include "sim/reference/inference.h"
#include "sim/workload/network_json.h"
#include "sim/workload/onnx_import.h"
#include "tests/support/kind_harness.h"
#include "tests/support/onnx_model_builder.h"
#include "tests/support/temp_dir.h"

using namespace conloc;
using namespace conloc::test_support;

namespace {

using A = Activation;

// Every vector kind with parameters, in one network (the parameter-free ones come from
// network_around): pooling of each kind, adds with and without a fused clamp, both muls, the
// lookup activations, concat of signed and unsigned inputs, the resamplings (bilinear down and
// up, both sample positions), a standalone relu6, a channel shuffle, a channel slice, a layer
// norm.
Network every_kind() {
  NetworkBuilder b("every_kind", {12, 12, 6}, "test");
  const int c1 = b.conv("c1", b.input(), 8, 3, 1, 1, A::None);  // signed
  const int c2 = b.conv("c2", b.input(), 8, 3, 1, 1, A::Relu);  // unsigned
  const int mp = b.max_pool("maxpool", c1, 3, 2, 1);
  const int ap = b.avg_pool("avgpool", c1, 2, 2, 0);
  const int add = b.add("add", mp, ap, A::None);
  const int add6 = b.add("add_relu6", mp, ap, A::Relu6);
  const int gate = b.act("gate", b.global_avg_pool("gap", add6), A::HardSigmoid, 0.2, 0.5);
  const int se = b.mul("mul_gate", add, gate);
  const int mul = b.mul("mul", se, add6);
  const int hs = b.act("hardswish", mul, A::HardSwish, 0.0, 0.0);
  const int lr = b.act("leaky", hs, A::LeakyRelu, 0.1, 0.0, 0.5, -0.1);
  const int r6 = b.relu("relu6", lr, A::Relu6);
  const int up = b.upsample("upsample", r6, 2, 2);
  // Bilinear down to 5 x 7 with aligned corners, then up to 12 x 12 at half-pixel centres.
  const int bl = b.bilinear("bilinear", b.bilinear("bilinear_ac", r6, 5, 7, true), 12, 12, false);
  const int mixed = b.add("add_bilinear", up, bl, A::None);
  const int t = b.conv("t", c2, 4 * 3, 1, 1, 0, A::None);
  const int d2s = b.depth_to_space("d2s", b.max_pool("half", t, 2, 2, 0), 2, 2);
  const int cat = b.concat("concat", {c1, mixed, d2s, c2});
  const int shuffled = b.shuffle("shuffle", cat, 3);  // 27 channels in 3 groups
  b.conv("head", b.layer_norm("layernorm", b.slice("slice", shuffled, 4, 20), 1e-3), 4, 3, 1, 1,
         A::None);
  return b.build();
}

// Every cell of a count, added up (a count is zero only when this is).
double cells_total(const CellCounts& c) {
  return c.adder_bits + c.add_ops + c.mult_cells + c.mult_ops + c.mux2 + c.xor2 + c.and2 + c.dff;
}

std::vector<std::string> parameter_free_kinds() {
  std::vector<std::string> names;
  for (const LayerKind& k : layer_kinds())
    if (k.arity > 0) names.push_back(k.name);
  return names;
}

}  // namespace

TEST(LayerKinds, EveryBuiltInTypeIsDefinedOnceUnderItsName) {
  const auto& all = layer_kinds();
  ASSERT_GE(all.size(), static_cast<std::size_t>(LayerType::kBuiltIn));
  const std::vector<std::pair<LayerType, std::string>> builtins = {
      {LayerType::Conv, "conv"},
      {LayerType::FullyConnected, "fc"},
      {LayerType::MaxPool, "maxpool"},
      {LayerType::AvgPool, "avgpool"},
      {LayerType::GlobalAvgPool, "gap"},
      {LayerType::Add, "add"},
      {LayerType::Relu, "relu"},
      {LayerType::Mul, "mul"},
      {LayerType::Max, "max"},
      {LayerType::Act, "act"},
      {LayerType::Concat, "concat"},
      {LayerType::Upsample, "upsample"},
      {LayerType::DepthToSpace, "depth_to_space"}};
  for (const auto& [type, name] : builtins) {
    EXPECT_EQ(layer_kind(type).name, name);
    EXPECT_EQ(std::string(to_string(type)), name);
    ASSERT_NE(find_layer_kind(name), nullptr) << name;
    EXPECT_EQ(find_layer_kind(name)->type, type) << name;
  }
  for (std::size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(all[i].type.id(), static_cast<int>(i)) << all[i].name;
    EXPECT_FALSE(all[i].summary.empty()) << all[i].name;
    EXPECT_EQ(all[i].unit == Unit::PeArray,
              all[i].type == LayerType::Conv || all[i].type == LayerType::FullyConnected);
  }
  EXPECT_EQ(find_layer_kind("no_such_kind"), nullptr);
  EXPECT_EQ(find_onnx_kind("Max"), &layer_kind(LayerType::Max));
}

// The integer reference runs a kind's whole-tensor path where it has one; the vector unit runs
// its element function. They must agree everywhere (the accelerator tests would blame the
// planner for a disagreement), here on calibrated activations of every kind.
TEST(LayerKinds, WholeTensorPathsEqualTheElementFunctions) {
  const CompiledNetwork cn = compile_calibrated(every_kind(), {});
  int checked = 0;
  for (std::size_t li = 0; li < cn.net.layers.size(); ++li) {
    const Layer& l = cn.net.layers[li];
    if (l.on_pe_array() || !layer_kind(l.type).run_reference) continue;
    std::vector<IntTensor> t = cn.tensors;
    t[l.output].data.assign(t[l.output].data.size(), 12345);
    run_vector_layer_by_element(cn.net, li, cn.layers[li], t);
    EXPECT_EQ(t[l.output].data, cn.tensors[l.output].data) << l.name;
    ++checked;
  }
  // maxpool, avgpool, gap, add, mul, concat, upsample, depth_to_space, act
  EXPECT_GE(checked, 9);
}

// An activation's output scale is calibrated on each input code once, weighted by how often the
// images hold it (KindCalibration::covering_by_code): exactly what covering every element gives,
// at the top magnitude and at a percentile, on signed and unsigned inputs.
TEST(LayerKinds, CoveringByCodeEqualsCoveringEveryElement) {
  const CompiledNetwork cn = compile_calibrated(every_kind(), {});
  // Two images: the reference's tensors and the same with every code moved by a few levels.
  std::vector<std::vector<IntTensor>> images = {cn.tensors, cn.tensors};
  for (IntTensor& t : images[1]) {
    for (std::int16_t& q : t.data)
      q = static_cast<std::int16_t>(q > 0 ? q - 1 : q < 0 ? q + 3 : q);
  }
  int checked = 0;
  for (const Layer& l : cn.net.layers) {
    if (l.type != LayerType::Act) continue;
    for (double pct : {100.0, 99.0, 60.0}) {
      const KindCalibration c{l, cn.net, 8, pct, images, cn.tensors};
      const double s = c.in_scale(0);
      const auto f = [&](double x) { return act_output(l, x); };
      EXPECT_EQ(c.covering_by_code(127, [&](std::int32_t q) { return f(s * q); }),
                c.covering(127, [&](const std::vector<IntTensor>& img, std::size_t i) {
                  return f(KindCalibration::real(img, 0, l, i));
                }))
          << l.name << " at percentile " << pct;
      ++checked;
    }
  }
  EXPECT_EQ(checked, 9);  // gate, hardswish, leaky
}

// A vector layer's cells follow the operations the vector unit performed (every image of a batch,
// ops_per_element(l) per output element): none for none, twice as many for twice the operations.
TEST(LayerKinds, CellsFollowTheOperations) {
  const Network net = every_kind();
  for (const Layer& l : net.layers) {
    if (l.on_pe_array()) continue;
    const LayerKind& k = layer_kind(l.type);
    const TensorShape out = net.out_shape(l);
    const std::uint64_t ops = static_cast<std::uint64_t>(out.elements()) * ops_per_element(l);
    const double one = cells_total(k.cells(l, out, ops, 8));
    EXPECT_EQ(cells_total(k.cells(l, out, 0, 8)), 0.0) << l.name;
    EXPECT_DOUBLE_EQ(cells_total(k.cells(l, out, 2 * ops, 8)), 2 * one) << l.name;
  }
}

// Each vector layer's integer output is its kind's float function of the same inputs, to within
// the output's rounding (half a level), the 15-bit multipliers' error and, for a lookup, the
// table's rounding of the input: at most 1.5 levels where the clamp does not cut.
TEST(LayerKinds, IntegerOutputsFollowTheFloatFunctions) {
  const CompiledNetwork cn = compile_calibrated(every_kind(), {});
  for (std::size_t li = 0; li < cn.net.layers.size(); ++li) {
    const Layer& l = cn.net.layers[li];
    if (l.on_pe_array()) continue;
    const FloatAgreement a = integer_against_float(cn, li);
    EXPECT_LE(a.worst_levels, 1.5) << l.name;
    EXPECT_GT(a.compared, a.clamped) << l.name;
  }
}

// A kind's element function reads its operands only through them: the vector unit's channel
// chunks and bands must not matter. The every-kind network through the accelerator with buffers
// small enough to cut each vector layer into bands and chunks, both dataflows.
TEST(LayerKinds, AcceleratorEqualsReferenceInSmallBuffersWs) {
  const CompiledNetwork cn = compile_calibrated(every_kind(), {});
  const auto mism = accelerator_mismatches(
      cn, {"buffers.activation_kib=1", "buffers.output_kib=1", "buffers.weight_kib=1"});
  for (std::size_t i = 0; i < mism.size(); ++i)
    EXPECT_EQ(mism[i], 0u) << cn.net.layers[i].name;
}

TEST(LayerKinds, AcceleratorEqualsReferenceOs) {
  const CompiledNetwork cn = compile_calibrated(every_kind(), {"array.dataflow=os"});
  const auto mism = accelerator_mismatches(cn, {"array.dataflow=os"});
  for (std::size_t i = 0; i < mism.size(); ++i)
    EXPECT_EQ(mism[i], 0u) << cn.net.layers[i].name;
}

// Resident tensors (mapping.fusion = residency): every vector kind reads an input in place from
// the activation SRAM (whole pixels of a band: never a channel chunk) and the results stay there.
void expect_resident_bit_exact(const std::string& dataflow) {
  const std::vector<std::string> sets = {"mapping.fusion=residency", "array.dataflow=" + dataflow};
  const CompiledNetwork cn = compile_calibrated(every_kind(), sets);
  std::vector<std::uint64_t> resident;
  const auto mism = accelerator_mismatches(cn, sets, nullptr, &resident);
  for (std::size_t i = 0; i < mism.size(); ++i)
    EXPECT_EQ(mism[i], 0u) << cn.net.layers[i].name;
  for (const Layer& l : cn.net.layers) {
    if (l.on_pe_array()) continue;
    const bool in_place = std::any_of(l.inputs.begin(), l.inputs.end(), [&](int t) {
      return resident[static_cast<std::size_t>(t)] != PlanParams::kInDram;
    });
    EXPECT_TRUE(in_place) << l.name << " reads no resident input";
  }
}

TEST(LayerKinds, AcceleratorEqualsReferenceWithResidentTensorsWs) {
  expect_resident_bit_exact("ws");
}

TEST(LayerKinds, AcceleratorEqualsReferenceWithResidentTensorsOs) {
  expect_resident_bit_exact("os");
}

namespace {

struct ParameterFree : ::testing::TestWithParam<std::string> {
  const LayerKind& kind() const { return *find_layer_kind(GetParam()); }
};

}  // namespace

TEST_P(ParameterFree, AcceleratorEqualsReference) {
  const CompiledNetwork cn = compile_calibrated(network_around(kind()), {});
  const auto mism = accelerator_mismatches(
      cn, {"buffers.activation_kib=1", "buffers.output_kib=1", "buffers.weight_kib=1"});
  for (std::size_t i = 0; i < mism.size(); ++i)
    EXPECT_EQ(mism[i], 0u) << cn.net.layers[i].name;
  // Not trivially: the kind's output is not all zeros.
  const Layer& l = cn.net.layers[kind().arity == 2 ? 2 : 1];
  bool any = false;
  for (auto v : cn.tensors[l.output].data)
    any = any || v != 0;
  EXPECT_TRUE(any);
}

// mapping.fusion = fused-stage: the kind runs in the output stage of the conv before it (which
// then never writes its own output), bit-exact in both dataflows with buffers that cut the conv
// into many tiles (one simulation per process: one test per dataflow).
namespace {

void expect_fused_bit_exact(const LayerKind& kind, const std::string& dataflow) {
  const CompiledNetwork cn = compile_calibrated(network_around(kind), {});
  const int li = kind.arity == 2 ? 2 : 1;
  ASSERT_EQ(output_stage_fusions(cn.net)[static_cast<std::size_t>(li - 1)], li);
  const auto mism = accelerator_mismatches(
      cn, {"mapping.fusion=fused-stage", "array.dataflow=" + dataflow, "buffers.activation_kib=1",
           "buffers.output_kib=1", "buffers.weight_kib=1"});
  for (std::size_t i = 0; i < mism.size(); ++i)
    EXPECT_EQ(mism[i], 0u) << cn.net.layers[i].name;
}

}  // namespace

TEST_P(ParameterFree, RunsInTheConvOutputStageBitExactWs) {
  expect_fused_bit_exact(kind(), "ws");
}

TEST_P(ParameterFree, RunsInTheConvOutputStageBitExactOs) {
  expect_fused_bit_exact(kind(), "os");
}

TEST_P(ParameterFree, IntegerOutputFollowsTheFloatFunction) {
  for (const char* bits : {"design.activation_bits=8", "design.activation_bits=4"}) {
    const CompiledNetwork cn = compile_calibrated(network_around(kind()), {bits});
    const std::size_t li = kind().arity == 2 ? 2 : 1;
    const FloatAgreement a = integer_against_float(cn, li);
    EXPECT_LE(a.worst_levels, 1.0) << bits;
    EXPECT_GT(a.compared, 100u) << bits;
  }
}

// A channel shuffle from the workload JSON: "groups" divides the channels, or the layer is named.
TEST(LayerKinds, ShuffleReadFromJson) {
  const std::string dir = conloc::test::make_temp_dir("shuffle_json");
  auto write = [&](const std::string& file, int groups) {
    std::ofstream(dir + "/" + file)
        << R"({"input": [5, 5, 3], "layers": [{"name": "c", "type": "conv", "out_channels": 12},
           {"name": "s", "type": "shuffle", "groups": )"
        << groups << "}]}";
    return dir + "/" + file;
  };
  const NetworkFile ok = load_network_file(write("ok.json", 4));
  ASSERT_EQ(ok.net.layers.size(), 2u);
  EXPECT_EQ(ok.net.layers[1].type, find_layer_kind("shuffle")->type);
  EXPECT_EQ(ok.net.layers[1].groups, 4);
  try {
    load_network_file(write("bad.json", 5));
    ADD_FAILURE() << "5 groups of 12 channels accepted";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("bad.json: layer s: groups"), std::string::npos)
        << e.what();
  }
}

// A channel slice from the workload JSON: "channel_start" and "out_channels" within the input's
// channels, or the layer and key are named.
TEST(LayerKinds, SliceReadFromJson) {
  const std::string dir = conloc::test::make_temp_dir("slice_json");
  auto write = [&](const std::string& file, int start, int channels) {
    std::ofstream(dir + "/" + file)
        << R"({"input": [5, 5, 3], "layers": [{"name": "c", "type": "conv", "out_channels": 12},
           {"name": "s", "type": "slice", "channel_start": )"
        << start << R"(, "out_channels": )" << channels << "}]}";
    return dir + "/" + file;
  };
  const NetworkFile ok = load_network_file(write("ok.json", 4, 8));
  ASSERT_EQ(ok.net.layers.size(), 2u);
  EXPECT_EQ(ok.net.layers[1].type, find_layer_kind("slice")->type);
  EXPECT_EQ(ok.net.layers[1].channel0, 4);
  EXPECT_EQ(ok.net.out_shape(ok.net.layers[1]).c, 8);
  for (const auto& [start, channels, key] : std::vector<std::tuple<int, int, std::string>>{
           {12, 1, "channel_start"}, {4, 9, "out_channels"}}) {
    try {
      load_network_file(write("bad.json", start, channels));
      ADD_FAILURE() << start << "+" << channels << " of 12 channels accepted";
    } catch (const UserError& e) {
      EXPECT_NE(std::string(e.what()).find("bad.json: layer s: " + key), std::string::npos)
          << e.what();
    }
  }
}

// Bilinear resampling from the workload JSON: "size" and "align_corners", or the key is named.
TEST(LayerKinds, BilinearReadFromJson) {
  const std::string dir = conloc::test::make_temp_dir("bilinear_json");
  auto write = [&](const std::string& file, const std::string& keys) {
    std::ofstream(dir + "/" + file)
        << R"({"input": [5, 5, 3], "layers": [{"name": "c", "type": "conv", "out_channels": 4},
           {"name": "b", "type": "bilinear")"
        << keys << "}]}";
    return dir + "/" + file;
  };
  const NetworkFile ok =
      load_network_file(write("ok.json", R"(, "size": [17, 9], "align_corners": true)"));
  ASSERT_EQ(ok.net.layers.size(), 2u);
  EXPECT_EQ(ok.net.layers[1].type, find_layer_kind("bilinear")->type);
  EXPECT_TRUE(ok.net.layers[1].align_corners);
  EXPECT_EQ(ok.net.out_shape(ok.net.layers[1]).h, 17);
  EXPECT_EQ(ok.net.out_shape(ok.net.layers[1]).w, 9);
  for (const auto& [keys, key] : std::vector<std::pair<std::string, std::string>>{
           {"", "size"}, {R"(, "size": 4, "align_corners": "yes")", "align_corners"}}) {
    try {
      load_network_file(write("bad.json", keys));
      ADD_FAILURE() << keys << " accepted";
    } catch (const UserError& e) {
      EXPECT_NE(std::string(e.what()).find("bad.json: layers[1]." + key), std::string::npos)
          << e.what();
    }
  }
}

// The workload JSON takes the kind by name with "input" (one) or "inputs" (two), and refuses the
// keys of other layer types naming the layer; the ONNX importer maps each of its onnx_ops.
TEST_P(ParameterFree, ReadFromJsonAndOnnx) {
  const LayerKind& k = kind();
  const std::string dir = conloc::test::make_temp_dir("kind_io");
  const std::string ins = k.arity == 1 ? R"("input": "c1")" : R"("inputs": ["c1", "c2"])";
  const std::string layers =
      R"([{"name": "c1", "type": "conv", "out_channels": 4, "input": "input"},
      {"name": "c2", "type": "conv", "out_channels": 4, "input": "input"},
      {"name": "k", "type": ")" +
      k.name + R"(", )" + ins + "}";
  auto write = [&](const std::string& file, const std::string& extra) {
    std::ofstream(dir + "/" + file)
        << R"({"input": [5, 5, 3], "layers": )" << layers << extra << "]}";
    return dir + "/" + file;
  };
  const Network net = load_network_file(write("ok.json", "")).net;
  EXPECT_EQ(net.layers.back().type, k.type);
  try {
    load_network_file(write(
        "bad.json", R"(, {"name": "k2", "type": ")" + k.name + R"(", "input": "k", "kernel": 3})"));
    ADD_FAILURE() << "a kernel on a " << k.name << " layer was accepted";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("layers[3]"), std::string::npos) << e.what();
  }
  for (const std::string& op : k.onnx_ops) {
    ModelBuilder m({1, 3, 6, 6});
    std::vector<std::string> inputs = {"a"};
    m.node("Conv", {"x", m.init("w", {4, 3, 1, 1})}, "a");
    if (k.arity == 2) {
      m.node("Conv", {"x", m.init("w2", {4, 3, 1, 1})}, "b");
      inputs.push_back("b");
    }
    m.node(op, inputs, "y");
    m.output("y");
    const OnnxImport imported = import_onnx(m.save(dir, op + ".onnx"), {}, 1);
    EXPECT_EQ(imported.net.layers.back().type, k.type) << op;
  }
}

INSTANTIATE_TEST_SUITE_P(Kinds, ParameterFree, ::testing::ValuesIn(parameter_free_kinds()),
                         [](const auto& info) { return info.param; });

namespace {

std::string read_doc(const std::string& rel) {
  std::ifstream in(std::string(CONLOCNN_SOURCE_DIR) + "/" + rel);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

// docs/workloads.md's layer-type table is the registry's: one row per kind, in its words.
TEST(LayerKinds, TheWorkloadsDocListsEveryKind) {
  const std::string doc = read_doc("docs/workloads.md");
  ASSERT_FALSE(doc.empty());
  for (const LayerKind& k : layer_kinds()) {
    const std::string row = "| `" + k.name + "` | " +
                            (k.unit == Unit::PeArray ? "PE array" : "vector unit") + " | " +
                            k.summary + " |";
    EXPECT_NE(doc.find(row), std::string::npos) << "missing or stale row:\n" << row;
  }
}

// docs/extending.md's worked example is the abs kind's file, verbatim: the guide cannot drift
// from the code it teaches.
TEST(LayerKinds, TheGuideQuotesTheAbsKindVerbatim) {
  const std::string doc = read_doc("docs/extending.md");
  const std::string marker = "<!-- kind: modules/layers/kinds/abs.cpp -->\n```cpp\n";
  const auto at = doc.find(marker);
  ASSERT_NE(at, std::string::npos);
  const auto begin = at + marker.size();
  const auto end = doc.find("```", begin);
  ASSERT_NE(end, std::string::npos);
  EXPECT_EQ(doc.substr(begin, end - begin), read_doc("modules/layers/kinds/abs.cpp"));
}

// A pooling layer in the output stage of the conv before it (mapping.fusion = fused-stage): the
// tile groups compute the output rows their pooled rows' windows read, overlapping bands compute
// shared rows twice, and the pooled results are bit-exact. Max pooling with padding and an odd
// size, average pooling, a global average; small buffers cut each conv into many bands, a batch
// of two shares the tiles. (The energy objective: by EDP the mapper keeps the max pooling apart,
// its fused tiles would be narrow and slow.)
namespace {

void expect_fused_pooling_bit_exact(const std::string& dataflow) {
  NetworkBuilder b("pools", {15, 13, 5}, "test");
  const int c1 = b.conv("c1", b.input(), 8, 3, 1, 1, A::None);
  const int mp = b.max_pool("maxpool", c1, 3, 2, 1);
  const int c2 = b.conv("c2", mp, 6, 3, 1, 1, A::Relu);
  const int ap = b.avg_pool("avgpool", c2, 2, 2, 0);
  const int c3 = b.conv("c3", ap, 8, 1, 1, 0, A::None);
  b.conv("head", b.global_avg_pool("gap", c3), 4, 1, 1, 0, A::None);
  const std::vector<std::string> sets = {"mapping.fusion=fused-stage", "array.dataflow=" + dataflow,
                                         "buffers.activation_kib=4",   "buffers.output_kib=2",
                                         "buffers.weight_kib=1",       "workload.batch=2",
                                         "mapping.objective=energy"};
  const CompiledNetwork cn = compile_calibrated(b.build(), sets);
  std::vector<int> fused_into;
  const auto mism = accelerator_mismatches(cn, sets, &fused_into);
  for (std::size_t i = 0; i < mism.size(); ++i)
    EXPECT_EQ(mism[i], 0u) << cn.net.layers[i].name;
  EXPECT_EQ(fused_into, (std::vector<int>{-1, 0, -1, 2, -1, 4, -1})) << dataflow;
}

}  // namespace

TEST(FusedPooling, RunsInTheConvOutputStageBitExactWs) {
  expect_fused_pooling_bit_exact("ws");
}

TEST(FusedPooling, RunsInTheConvOutputStageBitExactOs) {
  expect_fused_pooling_bit_exact("os");
}
