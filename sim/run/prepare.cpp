#include "sim/run/prepare.h"

#include <nlohmann/json.hpp>

#include "modules/base/error.h"
#include "sim/reference/inference.h"
#include "sim/run/compile_cache.h"

namespace conloc {

CompileSpec network_compile_spec(const Network& net, const SimConfig& cfg) {
  return compile_spec(cfg, net.extra_sources() == 0);
}

namespace {

// Scales and compensation come from the calibration images; the reference the accelerator is
// checked against, and whose operands price the MACs, is the workload's own input.
void keep_own_reference(const Workload& w, CompiledNetwork& cn) {
  std::vector<IntTensor> ref;
  infer(cn, w.weights->input(w.net), ref);
  cn.tensors = std::move(ref);
}

}  // namespace

CompiledNetwork prepare_network(const Workload& w, const SimConfig& cfg, bool functional,
                                const Calibration* calibration) {
  const CompileSpec spec = network_compile_spec(w.net, cfg);
  if (functional && !spec.calibrate) {
    throw UserError(field_error(w.net.name, "",
                                "a layer list (topology or GEMM CSV) has no input data", "",
                                "--timing-only"));
  }
  if (calibration) return std::move(prepare_networks(w, {&cfg}, functional, *calibration, 1)[0]);
  const std::optional<CompileCache> cache = CompileCache::from_environment();
  std::string key;
  if (cache) {
    key = compile_cache_key(w, cfg, functional, calibration);
    if (auto cached = cache->load(key, w.net, spec.design)) return std::move(*cached);
  }
  CompiledNetwork cn = compile_network(w.net, spec, *w.weights);
  if (functional) add_batch_references(cn, *w.weights, cfg.batch);
  if (cache) cache->store(key, cn, spec.design);
  return cn;
}

std::vector<CompiledNetwork> prepare_networks(const Workload& w,
                                              const std::vector<const SimConfig*>& cfgs,
                                              bool functional, const Calibration& calibration,
                                              int jobs,
                                              const std::function<void(std::size_t)>& done) {
  std::vector<CompiledNetwork> out(cfgs.size());
  const std::optional<CompileCache> cache = CompileCache::from_environment();
  std::vector<std::string> keys(cfgs.size());
  std::vector<std::size_t> compile;
  std::vector<CompileSpec> specs;
  for (std::size_t i = 0; i < cfgs.size(); ++i) {
    const CompileSpec spec = network_compile_spec(w.net, *cfgs[i]);
    if (!spec.calibrate) {
      throw UserError(field_error(w.net.name, "", "a layer list has no input data to calibrate", "",
                                  "a network with data, or no calibration images"));
    }
    if (cache) {
      keys[i] = compile_cache_key(w, *cfgs[i], functional, &calibration);
      if (auto cached = cache->load(keys[i], w.net, spec.design)) {
        out[i] = std::move(*cached);
        if (done) done(i);
        continue;
      }
    }
    compile.push_back(i);
    specs.push_back(spec);
  }
  // The workload's own input is not among the calibration images: the held-out image.
  const std::vector<float> input = w.weights->input(w.net);
  std::vector<CompiledNetwork> made =
      compile_calibrated_all(w.net, specs, *w.weights, calibration.images, &input, jobs,
                             [&](std::size_t k, CompiledNetwork& cn) {
                               const std::size_t i = compile[k];
                               keep_own_reference(w, cn);
                               if (functional) add_batch_references(cn, *w.weights, cfgs[i]->batch);
                               if (cache) cache->store(keys[i], cn, specs[k].design);
                               if (done) done(i);
                             });
  for (std::size_t k = 0; k < compile.size(); ++k)
    out[compile[k]] = std::move(made[k]);
  return out;
}

std::string network_key(const Workload& w, const SimConfig& cfg, bool functional,
                        const Calibration* calibration) {
  return nlohmann::json{{"workload", w.key},
                        {"compile", network_compile_spec(w.net, cfg).key},
                        {"calibration", calibration ? calibration->id : ""},
                        {"batch_references", functional ? cfg.batch : 1}}
      .dump();
}

}  // namespace conloc
