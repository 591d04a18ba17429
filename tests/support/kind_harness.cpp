#include "tests/support/kind_harness.h"

#include <cmath>

#include "modules/layers/network_builder.h"
#include "sim/config/sim_config.h"
#include "sim/energy/energy_table.h"
#include "sim/quant/compiler.h"
#include "sim/rtl/mac_rtl.h"
#include "sim/run/pipeline.h"
#include "sim/top/accelerator.h"
#include "sim/workload/weight_source.h"

namespace conloc::test_support {

Network network_around(const LayerKind& kind) {
  NetworkBuilder b("around_" + kind.name, {10, 9, 6}, "test");
  std::vector<int> ins = {b.conv("c1", b.input(), 8, 3, 1, 1, Activation::None)};
  if (kind.arity == 2) ins.push_back(b.conv("c2", b.input(), 8, 3, 1, 1, Activation::None));
  const int y = b.elementwise(kind.name, kind.type, ins);
  b.conv("head", y, 4, 3, 1, 1, Activation::None);
  return b.build();
}

CompiledNetwork compile_calibrated(const Network& net, const std::vector<std::string>& sets) {
  const SimConfig cfg = load_sim_config(std::nullopt, sets);
  const SyntheticWeights source(11);
  CompiledNetwork cn = compile_network(net, compile_spec(cfg, true), source);
  if (cfg.batch > 1) add_batch_references(cn, source, cfg.batch);
  return cn;
}

std::vector<std::uint64_t> accelerator_mismatches(const CompiledNetwork& cn,
                                                  const std::vector<std::string>& sets,
                                                  std::vector<int>* fused_into,
                                                  std::vector<std::uint64_t>* resident) {
  const SimConfig cfg = load_sim_config(std::nullopt, sets);
  const EnergyModel em(EnergyTable::load(cfg.energy_table_path));
  PlanResult p = plan_run(cfg, cn, em, mac_energies(cn, cfg, em, mac_circuit_fnv1a64(cfg)));
  if (p.infeasible) throw std::runtime_error("does not fit: " + p.infeasible->message());
  if (fused_into) {
    fused_into->clear();
    for (const LayerPlan& lp : p.plan.layers)
      fused_into->push_back(lp.fused_into);
  }
  if (resident) *resident = p.plan.resident;
  auto accs = simulate({{&cfg, &cn, std::move(p.plan), true, nullptr}});
  return accs[0]->compare_outputs();
}

namespace {

// The integer tensors as real values (scale x code), HWC.
class RealOperands final : public FloatOperands {
 public:
  RealOperands(const Layer& l, const std::vector<IntTensor>& t) : l_(l), t_(t) {}
  float at(int k, int y, int x, int c) const override {
    const IntTensor& in = t_[l_.inputs[k]];
    const TensorShape& s = in.shape;
    const std::size_t i =
        s.h == 1 && s.w == 1 ? c : (static_cast<std::size_t>(y) * s.w + x) * s.c + c;
    return static_cast<float>(in.scale * in.data[i]);
  }
  TensorShape shape(int k) const override { return t_[l_.inputs[k]].shape; }

 private:
  const Layer& l_;
  const std::vector<IntTensor>& t_;
};

}  // namespace

FloatAgreement integer_against_float(const CompiledNetwork& cn, std::size_t li) {
  const Layer& l = cn.net.layers[li];
  const LayerKind& kind = layer_kind(l.type);
  const CompiledLayer& cl = cn.layers[li];
  const IntTensor& out = cn.tensors[l.output];
  const RealOperands ops(l, cn.tensors);
  FloatAgreement a;
  const int parts = kind.part_per_input ? static_cast<int>(l.inputs.size()) : 1;
  int c0 = 0;
  for (int part = 0; part < parts; ++part) {
    const int channels = kind.part_per_input ? cn.net.tensors[l.inputs[part]].c : out.shape.c;
    for (int y = 0; y < out.shape.h; ++y)
      for (int x = 0; x < out.shape.w; ++x)
        for (int c = 0; c < channels; ++c) {
          const double f = kind.element_float(l, out.shape, ops, {y, x, c, part});
          const std::int32_t q =
              out.data[(static_cast<std::size_t>(y) * out.shape.w + x) * out.shape.c + c0 + c];
          if ((q == cl.out_hi && f >= q * out.scale) || (q == cl.out_lo && f <= q * out.scale)) {
            ++a.clamped;
            continue;
          }
          a.worst_levels = std::max(a.worst_levels, std::abs(q * out.scale - f) / out.scale);
          ++a.compared;
        }
    c0 += channels;
  }
  return a;
}

}  // namespace conloc::test_support
