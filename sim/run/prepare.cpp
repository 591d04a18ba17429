#include "sim/run/prepare.h"

#include <nlohmann/json.hpp>

#include "modules/base/error.h"
#include "sim/reference/inference.h"
#include "sim/run/compile_cache.h"

namespace conloc {

CompileSpec network_compile_spec(const Network& net, const SimConfig& cfg) {
  return compile_spec(cfg, net.extra_sources() == 0);
}

CompiledNetwork prepare_network(const Workload& w, const SimConfig& cfg, bool functional,
                                const Calibration* calibration) {
  const CompileSpec spec = network_compile_spec(w.net, cfg);
  if (functional && !spec.calibrate) {
    throw UserError(field_error(w.net.name, "",
                                "a layer list (topology or GEMM CSV) has no input data", "",
                                "--timing-only"));
  }
  if (calibration && !spec.calibrate) {
    throw UserError(field_error(w.net.name, "", "a layer list has no input data to calibrate", "",
                                "a network with data, or no calibration images"));
  }
  const std::optional<CompileCache> cache = CompileCache::from_environment();
  std::string key;
  if (cache) {
    key = compile_cache_key(w, cfg, functional, calibration);
    if (auto cached = cache->load(key, w.net, spec.design)) return std::move(*cached);
  }
  CompiledNetwork cn;
  if (calibration) {
    // The workload's own input is not among the calibration images: the held-out image.
    const std::vector<float> input = w.weights->input(w.net);
    cn = compile_calibrated(w.net, spec, *w.weights, calibration->images, &input);
    // Scales and compensation come from the calibration images; the reference the accelerator
    // is checked against, and whose operands price the MACs, is the workload's own input.
    std::vector<IntTensor> ref;
    infer(cn, input, ref);
    cn.tensors = std::move(ref);
  } else {
    cn = compile_network(w.net, spec, *w.weights);
  }
  if (functional) add_batch_references(cn, *w.weights, cfg.batch);
  if (cache) cache->store(key, cn, spec.design);
  return cn;
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
