// The compile key is exactly what a compiled network depends on: for every configuration
// parameter, on several base designs, a changed value either changes the key or leaves the
// compiled network byte for byte the same. A new input the compiler reads without the key
// knowing fails here (the key is what a sweep caches compiled networks by and what a run checks
// a network against), whichever parameter it is.
#include <gtest/gtest.h>
#include <set>
#include <sstream>

#include "modules/base/error.h"
#include "sim/config/sim_config.h"
#include "sim/quant/compiler.h"
#include "sim/run/prepare.h"
#include "sim/workload/weight_source.h"
#include "sim/workload/workload.h"
#include "sim/workload/zoo.h"
#include "tests/support/compiled_digest.h"
#include "tests/support/param_values.h"

using namespace conloc;
using conloc::test::digest;
using conloc::test::moved;

TEST(CompileKey, ChangesWheneverTheCompiledNetworkDoes) {
  const Network net = zoo_network("tinycnn");
  const SyntheticWeights src(1);
  // Designs of every kind the compiler distinguishes, calibrated; and a sampled compile (no
  // input data) whose sample is smaller than a layer.
  struct Base {
    std::vector<std::string> sets;
    bool calibrate;
  };
  const std::vector<Base> bases = {
      {{}, true},
      {{"design.mac=fixed"}, true},
      {{"design.elp.format=elp4v2"}, true},
      {{"design.elp.format=elp5v2l"}, true},
      {{"design.elp.mac=serial", "design.activation_calibration=percentile"}, true},
      {{"sim.timing_weight_sample=64"}, false},
      {{"design.mac=fixed", "sim.timing_weight_sample=64"}, false},
  };
  auto compiled = [&](const CompileSpec& spec) { return digest(compile_network(net, spec, src)); };
  std::set<std::string> varied, changed_key;
  for (const Base& b : bases) {
    const SimConfig base = load_sim_config(std::nullopt, b.sets);
    const CompileSpec base_spec = compile_spec(base, b.calibrate);
    const std::string base_digest = compiled(base_spec);
    for (const ParamSpec& p : sim_params().specs()) {
      const auto m = moved(base, p);
      if (!m) continue;
      varied.insert(p.path);
      const CompileSpec spec = compile_spec(m->first, b.calibrate);
      if (spec.key != base_spec.key) {
        changed_key.insert(p.path);
      } else {
        EXPECT_EQ(compiled(spec), base_digest)
            << p.path << " = " << m->second.dump() << " on base {"
            << ::testing::PrintToString(b.sets) << "} changes the compiled network but not its key";
      }
    }
  }
  // Every parameter was varied on some base, and the key follows what the compile reads.
  for (const ParamSpec& p : sim_params().specs())
    EXPECT_TRUE(varied.count(p.path)) << p.path << " was never varied";
  for (const char* k : {"design.mac", "design.elp.format", "design.fixed.weight_bits",
                        "design.compensation", "design.activation_bits", "design.accumulator_bits",
                        "design.elp.levels", "design.layer_formats", "sim.timing_weight_sample"})
    EXPECT_TRUE(changed_key.count(k)) << k << " never changed the key";
  for (const char* k : {"array.rows", "array.dataflow", "buffers.weight_kib", "sim.seed"})
    EXPECT_FALSE(changed_key.count(k)) << k << " is not read by the compiler";
}

// The network key adds what the compiled network depends on beyond the compile spec: the
// workload (name, seed of synthetic weights, image) and a functional batch's references.
TEST(CompileKey, NetworkKeyFollowsTheWorkloadAndTheBatch) {
  const SimConfig cfg = load_sim_config(std::nullopt, {});
  const Workload w1 = load_workload("tinycnn", 1), w2 = load_workload("tinycnn", 2);
  EXPECT_NE(network_key(w1, cfg, false), network_key(w2, cfg, false));
  EXPECT_NE(digest(prepare_network(w1, cfg, false)), digest(prepare_network(w2, cfg, false)));
  const SimConfig batch = cfg.with({{"workload.batch", 2, "test"}});
  EXPECT_EQ(network_key(w1, cfg, false), network_key(w1, batch, false));
  EXPECT_NE(network_key(w1, cfg, true), network_key(w1, batch, true));
  EXPECT_EQ(prepare_network(w1, batch, true).batch_tensors.size(), 1u);
  // A layer list has no data: compiled without calibration, and refused for a functional run.
  const Workload gemm = load_workload(
      std::string(CONLOCNN_SOURCE_DIR) + "/workloads/topologies/scalesim_resnet50.csv", 1);
  EXPECT_FALSE(prepare_network(gemm, cfg, false).calibrated);
  EXPECT_THROW(prepare_network(gemm, cfg, true), UserError);
}
