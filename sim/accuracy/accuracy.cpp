#include "sim/accuracy/accuracy.h"

#include <algorithm>
#include <chrono>
#include <exception>
#include <limits>
#include <mutex>
#include <thread>

#include "modules/base/error.h"
#include "sim/common/parallel.h"
#include "sim/quant/compiler.h"
#include "sim/reference/float_inference.h"
#include "sim/reference/inference.h"
#include "sim/run/prepare.h"

namespace conloc {

std::string ImageRange::text() const {
  return split + ":" + std::to_string(begin) + "-" + std::to_string(end - 1);
}

namespace {

const ImageSet& split_of(const Dataset& ds, const std::string& split) {
  return split == "train" ? ds.train : ds.test;
}

// Rank of the true class among the scores: how many classes score higher (ties: the lower
// class index wins, as argmax picks it).
template <class T>
std::size_t rank_of(const std::vector<T>& v, std::size_t label) {
  std::size_t r = 0;
  for (std::size_t i = 0; i < v.size(); ++i)
    r += v[i] > v[label] || (v[i] == v[label] && i < label);
  return r;
}

// A unit of work: classify a chunk of images with one variant.
struct Task {
  std::size_t variant;
  std::int64_t begin = 0, end = 0;  // evaluation images
};

}  // namespace

ImageRange parse_image_range(const std::string& text, const std::string& default_split,
                             const Dataset& ds, const std::string& option) {
  ImageRange r;
  auto bad = [&](const std::string& why) -> UserError {
    return UserError(field_error(option, "", why, "\"" + text + "\"",
                                 "N (the first N images of the " + default_split +
                                     " split) or SPLIT:A-B with SPLIT train or test"));
  };
  auto number = [&](const std::string& s) {
    if (s.empty() || s.size() > 9 || s.find_first_not_of("0123456789") != std::string::npos)
      throw bad("not a count or range");
    return std::stoll(s);
  };
  const auto colon = text.find(':');
  if (colon == std::string::npos) {
    r.split = default_split;
    r.begin = 0;
    r.end = number(text);
    if (r.end == 0) throw bad("no images");
  } else {
    r.split = text.substr(0, colon);
    if (r.split != "train" && r.split != "test") throw bad("unknown split");
    const std::string rest = text.substr(colon + 1);
    const auto dash = rest.find('-');
    if (dash == std::string::npos) throw bad("not a range");
    r.begin = number(rest.substr(0, dash));
    r.end = number(rest.substr(dash + 1)) + 1;
    if (r.end <= r.begin) throw bad("empty range");
  }
  const std::int64_t n = split_of(ds, r.split).size();
  if (r.end > n) {
    throw UserError(field_error(option, "", "beyond the split", "\"" + text + "\"",
                                "at most " + std::to_string(n) + " images in " + r.split));
  }
  return r;
}

namespace {

// Refuses image sets that do not fit the network (shape, labels) or that overlap.
void check_setup(const Workload& w, const Dataset& ds, const AccuracySetup& setup,
                 bool classifier) {
  const Network& net = w.net;
  const TensorShape in = net.tensors[0];
  const ImageSet& cal_set = split_of(ds, setup.calibration.split);
  const ImageSet& eval_set = split_of(ds, setup.evaluation.split);
  if (cal_set.h != in.h || cal_set.w != in.w || cal_set.c != in.c) {
    throw UserError(field_error(cal_set.images_file, "image shape", "does not match the network",
                                to_string(TensorShape{cal_set.h, cal_set.w, cal_set.c}),
                                to_string(in) + " (" + net.name + " input)"));
  }
  const std::int64_t classes = net.tensors.back().elements();
  for (std::int64_t i = setup.evaluation.begin; classifier && i < setup.evaluation.end; ++i) {
    if (eval_set.labels[static_cast<std::size_t>(i)] >= classes) {
      throw UserError(field_error(eval_set.labels_file, "[" + std::to_string(i) + "]",
                                  "label beyond the network's classes",
                                  std::to_string(eval_set.labels[static_cast<std::size_t>(i)]),
                                  "a class below " + std::to_string(classes)));
    }
  }
  if (setup.calibration.split == setup.evaluation.split &&
      setup.calibration.begin < setup.evaluation.end &&
      setup.evaluation.begin < setup.calibration.end) {
    throw UserError(field_error("--calibration", "", "overlaps the evaluation images",
                                setup.calibration.text() + " and " + setup.evaluation.text(),
                                "disjoint image sets (calibrate on the training split)"));
  }
}

// Runs `tasks` on `jobs` threads (run_parallel), reporting `done` of `total` about four times a
// second; the first exception thrown by a task stops the others and is rethrown here.
void run_pool(const std::vector<Task>& tasks, int jobs, const std::function<void(const Task&)>& run,
              const AccuracySetup& setup, const std::atomic<std::int64_t>& done,
              std::int64_t total) {
  std::atomic<bool> finished{false};
  std::exception_ptr failure;
  std::thread pool([&] {
    try {
      run_parallel(tasks.size(), jobs, [&](std::size_t k) { run(tasks[k]); });
    } catch (...) {
      failure = std::current_exception();
    }
    finished = true;
  });
  while (!finished.load()) {
    if (setup.progress) setup.progress(done.load(), total);
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  pool.join();
  if (failure) std::rethrow_exception(failure);
}

// One evaluation: every variant compiled on the calibration images, then the float reference and
// every quantized variant on the evaluation images, chunk by chunk on a thread pool.
class AccuracyEvaluation {
 public:
  AccuracyEvaluation(const Workload& w, const Dataset& ds, const AccuracySetup& setup,
                     const std::vector<AccuracyVariant>& variants)
      : w_(w),
        net_(w.net),
        setup_(setup),
        variants_(variants),
        eval_set_(split_of(ds, setup.evaluation.split)),
        fnet_(net_, *w.weights),
        results_(variants.size()),
        compiled_(variants.size()),
        layer_err_(variants.size()),
        layer_rho_(variants.size()),
        n_eval_(setup.evaluation.size()),
        sqnr_images_(std::min(setup.sqnr_images, n_eval_)),
        float_top_(static_cast<std::size_t>(n_eval_), 0),
        float_out_(static_cast<std::size_t>(sqnr_images_)) {
    classifier_ = is_classifier(net_);
    check_setup(w, ds, setup, classifier_);
    // Both image sets normalised once, not once per variant.
    const ImageSet& cal_set = split_of(ds, setup.calibration.split);
    calib_.id = w.dataset.name + " " + setup.calibration.text();
    for (std::int64_t i = setup.calibration.begin; i < setup.calibration.end; ++i)
      calib_.images.push_back(normalised_image(cal_set, i, w.dataset));
    for (std::int64_t i = setup.evaluation.begin; i < setup.evaluation.end; ++i)
      eval_.push_back(normalised_image(eval_set_, i, w.dataset));
  }

  std::vector<AccuracyResult> run() {
    // Three phases: every compile, the float reference (what the others are compared with),
    // every quantized variant.
    std::vector<Task> float_tasks, eval_tasks;
    std::vector<std::size_t> quantized;
    const std::int64_t chunk = std::max<std::int64_t>(250, setup_.sqnr_images);
    std::int64_t total = 0;
    for (std::size_t v = 0; v < variants_.size(); ++v) {
      results_[v].variant = variants_[v];
      results_[v].classifier = classifier_;
      if (variants_[v].kind != "float") {
        quantized.push_back(v);
        total += static_cast<std::int64_t>(calib_.images.size());
      }
      for (std::int64_t a = 0; a < n_eval_; a += chunk)
        (variants_[v].kind == "float" ? float_tasks : eval_tasks)
            .push_back({v, a, std::min(n_eval_, a + chunk)});
      total += n_eval_;
    }
    if (float_tasks.empty()) {
      throw InternalError("evaluate_accuracy: the float reference must be one of the variants");
    }
    // Every compile at once: variants that differ in a few layers' formats share the rest
    // (prepare_networks), which optimize's sensitivity designs (one layer changed each) rely on.
    run_pool(
        {Task{0}}, 1, [&](const Task&) { compile(quantized); }, setup_, done_, total);
    for (const auto* phase : {&float_tasks, &eval_tasks})
      run_pool(
          *phase, setup_.jobs, [this](const Task& t) { evaluate(t); }, setup_, done_, total);
    if (setup_.progress) setup_.progress(total, total);
    for (std::size_t v = 0; v < variants_.size(); ++v) {
      if (compiled_[v]) add_layers(v);
    }
    return std::move(results_);
  }

 private:
  // What a chunk of images gave one variant.
  struct ChunkCounts {
    std::int64_t top1 = 0, top5 = 0, agree = 0;
    OutputError out_err;                         // network output vs the float reference
    std::vector<OutputError> layer_err;          // per PE-array layer, SQNR images
    std::vector<std::vector<IntTensor>> inputs;  // per PE-array layer, SQNR images
  };

  void compile(const std::vector<std::size_t>& vs) {
    std::vector<const SimConfig*> cfgs;
    for (std::size_t v : vs)
      cfgs.push_back(&variants_[v].cfg);
    // Functional: the cost of every variant is simulated with its values (cmd_accuracy).
    std::vector<CompiledNetwork> cns = prepare_networks(
        w_, cfgs, true, calib_, setup_.jobs,
        [this](std::size_t) { done_ += static_cast<std::int64_t>(calib_.images.size()); });
    for (std::size_t k = 0; k < vs.size(); ++k)
      compiled_[vs[k]] = std::make_shared<CompiledNetwork>(std::move(cns[k]));
  }

  // The float reference on image i: its rank of the label; records its top class and output.
  std::size_t float_image(std::int64_t i, std::size_t label, ChunkCounts& c) {
    std::vector<float> y = fnet_.forward(eval_[static_cast<std::size_t>(i)]);
    std::size_t rank = 0;
    if (classifier_) {
      rank = rank_of(y, label);
      float_top_[static_cast<std::size_t>(i)] =
          static_cast<std::size_t>(std::max_element(y.begin(), y.end()) - y.begin());
      c.agree += 1;
    }
    if (i < sqnr_images_) float_out_[static_cast<std::size_t>(i)] = std::move(y);
    return rank;
  }

  // A quantized variant on image i: its rank of the label, agreement with the float reference,
  // and on the SQNR images the output and per-layer errors.
  std::size_t quantized_image(const CompiledNetwork& cn, IntegerInference& engine,
                              std::vector<IntTensor>& tensors, std::int64_t i, std::size_t label,
                              ChunkCounts& c) {
    engine.run(eval_[static_cast<std::size_t>(i)], tensors);
    const IntTensor& y = tensors.back();
    std::size_t rank = 0;
    if (classifier_) {
      rank = rank_of(y.data, label);
      c.agree += rank_of(y.data, float_top_[static_cast<std::size_t>(i)]) == 0;
    }
    if (i >= sqnr_images_) return rank;
    const std::vector<float>& f = float_out_[static_cast<std::size_t>(i)];
    for (std::size_t k = 0; k < f.size(); ++k) {
      const double d = y.scale * y.data[k] - f[k];
      c.out_err.signal += static_cast<double>(f[k]) * f[k];
      c.out_err.error += d * d;
    }
    if (!setup_.layer_statistics) return rank;
    for (std::size_t li = 0; li < net_.layers.size(); ++li) {
      const Layer& l = net_.layers[li];
      if (!l.on_pe_array()) continue;
      const CompiledLayer& cl = cn.layers[li];
      const IntTensor& x = tensors[l.inputs[0]];
      c.layer_err[li] += output_error(x, l, net_, fnet_.params(li), cl.w_scale, cl.wq, cl.bias, 16);
      c.inputs[li].push_back(x);
    }
    return rank;
  }

  void evaluate(const Task& t) {
    const CompiledNetwork* cn = compiled_[t.variant].get();
    std::vector<IntTensor> tensors;
    std::unique_ptr<IntegerInference> engine;
    if (cn) engine = std::make_unique<IntegerInference>(*cn);
    ChunkCounts c;
    c.layer_err.resize(net_.layers.size());
    c.inputs.resize(net_.layers.size());
    for (std::int64_t i = t.begin; i < t.end; ++i) {
      const std::int64_t idx = setup_.evaluation.begin + i;
      const std::size_t label = eval_set_.labels[static_cast<std::size_t>(idx)];
      const std::size_t rank =
          cn ? quantized_image(*cn, *engine, tensors, i, label, c) : float_image(i, label, c);
      c.top1 += classifier_ && rank == 0;
      c.top5 += classifier_ && rank < 5;
      if ((i - t.begin) % 16 == 15) done_ += 16;
    }
    done_ += (t.end - t.begin) % 16;
    record(t, c, cn != nullptr);
  }

  void record(const Task& t, const ChunkCounts& c, bool quantized) {
    std::lock_guard<std::mutex> lock(mu_);
    AccuracyResult& r = results_[t.variant];
    r.images += t.end - t.begin;
    r.top1_correct += c.top1;
    r.top5_correct += c.top5;
    r.agree_float += c.agree;
    // The first chunk holds every SQNR image.
    if (!quantized || t.begin != 0) return;
    r.output_sqnr_db = c.out_err.sqnr_db();
    layer_err_[t.variant] = c.layer_err;
    layer_rho_[t.variant].assign(net_.layers.size(), 0.0);
    for (std::size_t li = 0; li < net_.layers.size(); ++li) {
      if (c.inputs[li].empty()) continue;
      std::vector<const IntTensor*> ptrs;
      for (const auto& x : c.inputs[li])
        ptrs.push_back(&x);
      const NeighbourStats st = neighbour_stats(ptrs);
      layer_rho_[t.variant][li] = net_.layers[li].kw > 1 ? st.rho_h : st.rho_v;
    }
  }

  void add_layers(std::size_t v) {
    AccuracyResult& r = results_[v];
    r.cn = compiled_[v];
    for (std::size_t li = 0; li < net_.layers.size(); ++li) {
      const Layer& l = net_.layers[li];
      if (!l.on_pe_array()) continue;
      const CompiledLayer& cl = r.cn->layers[li];
      LayerAccuracy la;
      la.layer = l.name;
      la.weight_count = static_cast<std::int64_t>(cl.wq.size());
      la.weight_sqnr_db = cl.weight_sqnr_db;
      la.output_sqnr_db = layer_err_[v].empty() ? 0.0 : layer_err_[v][li].sqnr_db();
      // Error feedback chains taps along a kernel row (or column); a 1x1 kernel has no chain.
      const bool chained = l.kw > 1 || l.kh > 1;
      const double nan = std::numeric_limits<double>::quiet_NaN();
      la.rho_calibration = chained ? cl.neighbour_correlation : nan;
      la.rho_heldout = chained && !layer_rho_[v].empty() ? layer_rho_[v][li] : nan;
      r.layers.push_back(la);
    }
  }

  const Workload& w_;
  const Network& net_;
  const AccuracySetup& setup_;
  const std::vector<AccuracyVariant>& variants_;
  const ImageSet& eval_set_;
  const FloatNetwork fnet_;
  bool classifier_ = true;
  Calibration calib_;
  std::vector<std::vector<float>> eval_;
  std::vector<AccuracyResult> results_;
  std::vector<std::shared_ptr<CompiledNetwork>> compiled_;
  // Per variant and PE-array layer: held-out output error and the inputs' statistics (measured
  // in the first chunk only, which holds every SQNR image).
  std::vector<std::vector<OutputError>> layer_err_;
  std::vector<std::vector<double>> layer_rho_;
  const std::int64_t n_eval_, sqnr_images_;
  // The float reference's top class of every evaluation image and its outputs on the SQNR
  // images: what the quantized variants are compared with.
  std::vector<std::size_t> float_top_;
  std::vector<std::vector<float>> float_out_;
  std::atomic<std::int64_t> done_{0};
  std::mutex mu_;
};

}  // namespace

bool is_classifier(const Network& net) {
  const TensorShape out = net.tensors.back();
  return out.h == 1 && out.w == 1 && out.elements() >= 2;
}

std::vector<AccuracyResult> evaluate_accuracy(const Workload& w, const Dataset& ds,
                                              const AccuracySetup& setup,
                                              const std::vector<AccuracyVariant>& variants) {
  return AccuracyEvaluation(w, ds, setup, variants).run();
}

}  // namespace conloc
