// Timing-only compiles quantize a sample of output channels and scale the MAC statistics up
// (docs/timing.md). These tests bound the error that costs against quantizing every weight.
#include <cmath>
#include <cstdio>
#include <gtest/gtest.h>

#include "sim/config/sim_config.h"
#include "sim/design/mac_factory.h"
#include "sim/energy/energy_model.h"
#include "sim/energy/energy_table.h"
#include "sim/quant/compiler.h"
#include "sim/workload/weight_source.h"
#include "sim/workload/zoo.h"

using namespace conloc;

namespace {

// MAC energy of every PE-array layer, pJ, from the compiled MAC statistics.
std::vector<double> mac_energy(const CompiledNetwork& cn, const EnergyModel& em) {
  std::vector<double> e;
  for (std::size_t i = 0; i < cn.layers.size(); ++i) {
    if (!cn.net.layers[i].on_pe_array()) continue;
    e.push_back(em.mac_cells_pj(cn.layers[i].mac->cells(cn.layers[i].mac_actions)));
  }
  return e;
}

}  // namespace

TEST(WeightSampling, SyntheticRowsEqualTheWholeLayersRows) {
  const Network net = zoo_network("resnet18");
  const SyntheticWeights src(5);
  const std::size_t li = 5;  // a 3x3 conv
  const FloatLayerParams all = src.layer_params(net, li);
  const std::vector<std::int64_t> rows = {0, 7, 40, 63};
  const FloatLayerParams some = src.layer_rows(net, li, rows);
  const std::size_t k = all.weights.size() / all.bias.size();
  ASSERT_EQ(some.weights.size(), rows.size() * k);
  for (std::size_t j = 0; j < rows.size(); ++j) {
    EXPECT_EQ(some.bias[j], all.bias[static_cast<std::size_t>(rows[j])]);
    for (std::size_t i = 0; i < k; ++i)
      ASSERT_EQ(some.weights[j * k + i], all.weights[static_cast<std::size_t>(rows[j]) * k + i]);
  }
}

// The default budget against every weight on two whole networks and both designs: the operation
// counts are exact, per-layer MAC energy within 5 %, the network's MAC energy within 0.3 %. (The
// per-layer error comes mostly from channel-to-channel differences in the chosen scale.)
TEST(WeightSampling, MacEnergyErrorIsBounded) {
  for (const char* name : {"resnet18", "resnet50"}) {
    const Network net = zoo_network(name);
    for (const char* mac : {"elp", "fixed"}) {
      const SimConfig sampled = load_sim_config(std::nullopt, {std::string("design.mac=") + mac});
      const SimConfig exact = load_sim_config(
          std::nullopt, {std::string("design.mac=") + mac, "sim.timing_weight_sample=0"});
      ASSERT_GT(sampled.timing_weight_sample, 0u);
      const EnergyModel em(EnergyTable::load(sampled.energy_table_path));
      const SyntheticWeights src(1);
      const CompiledNetwork a = compile_network(net, compile_spec(sampled, false), src);
      const CompiledNetwork b = compile_network(net, compile_spec(exact, false), src);
      EXPECT_EQ(b.weights_quantized, b.weights_total);
      EXPECT_LT(a.weights_quantized, b.weights_total / 10) << name;
      const auto ea = mac_energy(a, em), eb = mac_energy(b, em);
      double ta = 0, tb = 0, worst = 0;
      for (std::size_t i = 0, j = 0; i < a.layers.size(); ++i) {
        if (!net.layers[i].on_pe_array()) continue;
        EXPECT_EQ(a.layers[i].mac_actions.ops, b.layers[i].mac_actions.ops) << name << " " << i;
        EXPECT_NEAR(ea[j] / eb[j], 1.0, 0.05) << name << " " << mac << " " << net.layers[i].name;
        if (std::abs(ea[j] / eb[j] - 1) > std::abs(worst)) worst = ea[j] / eb[j] - 1;
        ta += ea[j];
        tb += eb[j];
        ++j;
      }
      EXPECT_NEAR(ta / tb, 1.0, 0.003) << name << " " << mac;
      std::printf("%s %s: network MAC energy %+.3f %%, worst layer %+.2f %%\n", name, mac,
                  100 * (ta / tb - 1), 100 * worst);
    }
  }
}

// Term-serial timing needs every weight's term count: no sampling there.
TEST(WeightSampling, TermSerialQuantizesEveryWeight) {
  const Network net = zoo_network("resnet18");
  const SimConfig cfg = load_sim_config(std::nullopt, {"design.elp.mac=serial"});
  const CompiledNetwork cn = compile_network(net, compile_spec(cfg, false), SyntheticWeights(1));
  EXPECT_EQ(cn.weights_quantized, cn.weights_total);
}

// A batch of synthetic inputs is that many different images: image b of a seed is its own
// deterministic image, image 0 the single-image run's, and no two of the batch are equal (a batch
// of one image repeated would make every per-image figure of a batch run the first image's).
TEST(WeightSampling, SyntheticBatchImagesDiffer) {
  const Network net = zoo_network("tinycnn");
  const SyntheticWeights w(7);
  const std::vector<float> first = w.input(net);
  EXPECT_EQ(w.input(net, 0), first);
  std::vector<std::vector<float>> batch;
  for (int b = 0; b < 4; ++b) {
    batch.push_back(w.input(net, b));
    EXPECT_EQ(batch.back(), w.input(net, b)) << "image " << b << " is not deterministic";
    EXPECT_EQ(batch.back().size(), first.size());
  }
  for (int a = 0; a < 4; ++a)
    for (int b = a + 1; b < 4; ++b)
      EXPECT_NE(batch[a], batch[b]) << "images " << a << " and " << b << " are equal";
  EXPECT_NE(SyntheticWeights(8).input(net, 1), batch[1]) << "the seed does not reach image 1";
}
