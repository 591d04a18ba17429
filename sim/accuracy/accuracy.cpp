#include "sim/accuracy/accuracy.h"

#include <algorithm>
#include <chrono>
#include <exception>
#include <limits>
#include <mutex>
#include <thread>

#include "modules/base/error.h"
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

// A unit of work: compile one variant, or classify a chunk of images with one.
struct Task {
  std::size_t variant;
  std::int64_t begin = 0, end = 0;  // evaluation images; compile task when begin == end
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

std::vector<AccuracyResult> evaluate_accuracy(const Workload& w, const Dataset& ds,
                                              const AccuracySetup& setup,
                                              const std::vector<AccuracyVariant>& variants) {
  const Network& net = w.net;
  const TensorShape in = net.tensors[0];
  const ImageSet& cal_set = split_of(ds, setup.calibration.split);
  const ImageSet& eval_set = split_of(ds, setup.evaluation.split);
  if (cal_set.h != in.h || cal_set.w != in.w || cal_set.c != in.c) {
    throw UserError(field_error(cal_set.images_file, "image shape", "does not match the network",
                                to_string(TensorShape{cal_set.h, cal_set.w, cal_set.c}),
                                to_string(in) + " (" + net.name + " input)"));
  }
  const TensorShape out_shape = net.tensors.back();
  const std::int64_t classes = out_shape.elements();
  const bool classifier = out_shape.h == 1 && out_shape.w == 1 && classes >= 2;
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

  // Both image sets normalised once, not once per variant.
  Calibration calib;
  calib.id = w.dataset.name + " " + setup.calibration.text();
  std::vector<std::vector<float>> eval;
  for (std::int64_t i = setup.calibration.begin; i < setup.calibration.end; ++i)
    calib.images.push_back(normalised_image(cal_set, i, w.dataset));
  for (std::int64_t i = setup.evaluation.begin; i < setup.evaluation.end; ++i)
    eval.push_back(normalised_image(eval_set, i, w.dataset));
  const FloatNetwork fnet(net, *w.weights);

  std::vector<AccuracyResult> results(variants.size());
  std::vector<std::shared_ptr<CompiledNetwork>> compiled(variants.size());
  const std::int64_t chunk = std::max<std::int64_t>(250, setup.sqnr_images);
  const std::int64_t n_eval = setup.evaluation.size();
  const std::int64_t sqnr_images = std::min(setup.sqnr_images, n_eval);
  // Per variant and PE-array layer: held-out output error and the inputs' statistics (measured
  // in the first chunk only, which holds every SQNR image).
  std::vector<std::vector<OutputError>> layer_err(variants.size());
  std::vector<std::vector<double>> layer_rho(variants.size());

  // The float reference's top class of every evaluation image and its outputs on the SQNR
  // images: what the quantized variants are compared with.
  std::vector<std::size_t> float_top(static_cast<std::size_t>(n_eval), 0);
  std::vector<std::vector<float>> float_out(static_cast<std::size_t>(sqnr_images));

  // Three phases: every compile, the float reference, every quantized variant.
  std::vector<Task> compile_tasks, float_tasks, eval_tasks;
  std::int64_t total = 0;
  for (std::size_t v = 0; v < variants.size(); ++v) {
    results[v].variant = variants[v];
    results[v].classifier = classifier;
    if (variants[v].kind != "float") {
      compile_tasks.push_back({v, 0, 0});
      total += static_cast<std::int64_t>(calib.images.size());
    }
    for (std::int64_t a = 0; a < n_eval; a += chunk)
      (variants[v].kind == "float" ? float_tasks : eval_tasks)
          .push_back({v, a, std::min(n_eval, a + chunk)});
    total += n_eval;
  }
  if (float_tasks.empty()) {
    throw InternalError("evaluate_accuracy: the float reference must be one of the variants");
  }

  std::atomic<std::int64_t> done{0};
  std::mutex mu;
  std::exception_ptr failure;
  auto run_compile = [&](const Task& t) {
    const AccuracyVariant& v = variants[t.variant];
    // Functional: the cost of every variant is simulated with its values (cmd_accuracy).
    compiled[t.variant] =
        std::make_shared<CompiledNetwork>(prepare_network(w, v.cfg, true, &calib));
    done += static_cast<std::int64_t>(calib.images.size());
  };
  auto run_eval = [&](const Task& t) {
    const CompiledNetwork* cn = compiled[t.variant].get();
    std::int64_t c1 = 0, c5 = 0, agree = 0;
    OutputError out_err;
    std::vector<IntTensor> tensors;
    std::unique_ptr<IntegerInference> engine;
    if (cn) engine = std::make_unique<IntegerInference>(*cn);
    std::vector<OutputError> err(net.layers.size());
    std::vector<std::vector<IntTensor>> inputs(net.layers.size());
    for (std::int64_t i = t.begin; i < t.end; ++i) {
      const std::int64_t idx = setup.evaluation.begin + i;
      const std::size_t label = eval_set.labels[static_cast<std::size_t>(idx)];
      const std::vector<float>& img = eval[static_cast<std::size_t>(i)];
      std::size_t rank = 0;
      if (!cn) {
        std::vector<float> y = fnet.forward(img);
        if (classifier) {
          rank = rank_of(y, label);
          float_top[static_cast<std::size_t>(i)] =
              static_cast<std::size_t>(std::max_element(y.begin(), y.end()) - y.begin());
          agree += 1;
        }
        if (i < sqnr_images) float_out[static_cast<std::size_t>(i)] = std::move(y);
      } else {
        engine->run(img, tensors);
        const IntTensor& y = tensors.back();
        if (classifier) {
          rank = rank_of(y.data, label);
          agree += rank_of(y.data, float_top[static_cast<std::size_t>(i)]) == 0;
        }
        if (i < sqnr_images) {
          const std::vector<float>& f = float_out[static_cast<std::size_t>(i)];
          for (std::size_t k = 0; k < f.size(); ++k) {
            const double d = y.scale * y.data[k] - f[k];
            out_err.signal += static_cast<double>(f[k]) * f[k];
            out_err.error += d * d;
          }
          for (std::size_t li = 0; li < net.layers.size(); ++li) {
            const Layer& l = net.layers[li];
            if (!l.on_pe_array()) continue;
            const CompiledLayer& cl = cn->layers[li];
            const IntTensor& x = tensors[l.inputs[0]];
            err[li] += output_error(x, l, net, fnet.params(li), cl.w_scale, cl.wq, cl.bias, 16);
            inputs[li].push_back(x);
          }
        }
      }
      c1 += classifier && rank == 0;
      c5 += classifier && rank < 5;
      if ((i - t.begin) % 16 == 15) done += 16;
    }
    done += (t.end - t.begin) % 16;
    std::lock_guard<std::mutex> lock(mu);
    AccuracyResult& r = results[t.variant];
    r.images += t.end - t.begin;
    r.top1_correct += c1;
    r.top5_correct += c5;
    r.agree_float += agree;
    if (cn && t.begin == 0) {
      r.output_sqnr_db = out_err.sqnr_db();
      layer_err[t.variant] = err;
      layer_rho[t.variant].assign(net.layers.size(), 0.0);
      for (std::size_t li = 0; li < net.layers.size(); ++li) {
        if (inputs[li].empty()) continue;
        std::vector<const IntTensor*> ptrs;
        for (const auto& x : inputs[li])
          ptrs.push_back(&x);
        const NeighbourStats st = neighbour_stats(ptrs);
        layer_rho[t.variant][li] = net.layers[li].kw > 1 ? st.rho_h : st.rho_v;
      }
    }
  };

  // The phases on a pool of threads: every compile, then the float reference's chunks of
  // images, then every variant's.
  for (const std::vector<Task>* phase : {&compile_tasks, &float_tasks, &eval_tasks}) {
    std::atomic<std::size_t> next{0};
    std::atomic<int> finished{0};
    auto work = [&] {
      for (;;) {
        const std::size_t k = next++;
        if (k >= phase->size()) return;
        {
          std::lock_guard<std::mutex> lock(mu);
          if (failure) return;
        }
        try {
          const Task& t = (*phase)[k];
          if (phase == &compile_tasks) {
            run_compile(t);
          } else {
            run_eval(t);
          }
        } catch (...) {
          std::lock_guard<std::mutex> lock(mu);
          if (!failure) failure = std::current_exception();
        }
      }
    };
    auto worker = [&] {
      work();
      ++finished;
    };
    std::vector<std::thread> pool;
    for (int j = 0; j < std::max(1, setup.jobs); ++j)
      pool.emplace_back(worker);
    while (finished.load() < static_cast<int>(pool.size())) {
      if (setup.progress) setup.progress(done.load(), total);
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
    for (auto& th : pool)
      th.join();
    if (failure) std::rethrow_exception(failure);
  }
  if (setup.progress) setup.progress(total, total);

  for (std::size_t v = 0; v < variants.size(); ++v) {
    AccuracyResult& r = results[v];
    if (!compiled[v]) continue;
    r.cn = compiled[v];
    for (std::size_t li = 0; li < net.layers.size(); ++li) {
      if (!net.layers[li].on_pe_array()) continue;
      const CompiledLayer& cl = r.cn->layers[li];
      LayerAccuracy la;
      la.layer = net.layers[li].name;
      la.weight_count = static_cast<std::int64_t>(cl.wq.size());
      la.weight_sqnr_db = cl.weight_sqnr_db;
      la.output_sqnr_db = layer_err[v].empty() ? 0.0 : layer_err[v][li].sqnr_db();
      // Error feedback chains taps along a kernel row (or column); a 1x1 kernel has no chain.
      const Layer& l = net.layers[li];
      const bool chained = l.kw > 1 || l.kh > 1;
      const double nan = std::numeric_limits<double>::quiet_NaN();
      la.rho_calibration = chained ? cl.neighbour_correlation : nan;
      la.rho_heldout = chained && !layer_rho[v].empty() ? layer_rho[v][li] : nan;
      r.layers.push_back(la);
    }
  }
  return results;
}

}  // namespace conloc
