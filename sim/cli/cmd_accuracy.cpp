#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <thread>
#include <unistd.h>

#include "modules/base/error.h"
#include "sim/accuracy/accuracy.h"
#include "sim/cli/options.h"
#include "sim/common/file_io.h"
#include "sim/common/result_dir.h"
#include "sim/common/stopwatch.h"
#include "sim/common/text.h"
#include "sim/config/sim_config.h"
#include "sim/design/design_registry.h"
#include "sim/energy/energy_model.h"
#include "sim/report/columns.h"
#include "sim/run/pipeline.h"
#include "sim/workload/onnx_import.h"

namespace conloc {

namespace {

const char* kDefaultWorkload = "workloads/fmnist_resnet/network.json";

// The weight formats of the default table: fixed point 8, 6, 5, 4, 3 bits and every ELP_BSD
// preset (term-serial MACs compute the same values as parallel ones, so they are not repeated).
std::vector<std::string> default_formats() {
  std::vector<std::string> f = {"fixed8", "fixed6", "fixed5", "fixed4", "fixed3"};
  for (const auto& n : design_names()) {
    if (n.rfind("elp", 0) == 0 && n != "elp" && n.find("-serial") == std::string::npos)
      f.push_back(n);
  }
  return f;
}

// A list option's items, each once, each accepted by `check`.
std::vector<std::string> parse_items(const std::string& option, const std::string& text,
                                     const std::function<void(const std::string&)>& check) {
  std::vector<std::string> items;
  std::set<std::string> seen;
  for (const auto& it : split_list(text)) {
    if (!seen.insert(it).second) {
      throw UserError(field_error(option, "", "listed twice", "\"" + it + "\"", "each item once"));
    }
    check(it);
    items.push_back(it);
  }
  if (items.empty()) throw UserError(field_error(option, "", "empty list", "", "a list"));
  return items;
}

// Progress on stderr: a bar redrawn in place on a terminal, a line per 10 % otherwise.
class ProgressBar {
 public:
  void operator()(std::int64_t done, std::int64_t total) {
    const double f = total ? static_cast<double>(done) / total : 1.0;
    const double el = seconds_since(t0_);
    const double eta = f > 0.01 ? el * (1 - f) / f : 0;
    if (tty_) {
      const int w = 30, fill = static_cast<int>(f * w);
      std::fprintf(stderr, "\raccuracy [%s%s] %3.0f %%  %.0f s elapsed, ~%.0f s left  ",
                   std::string(fill, '#').c_str(), std::string(w - fill, '.').c_str(), 100 * f, el,
                   eta);
      if (done >= total) std::fprintf(stderr, "\n");
    } else if (static_cast<int>(f * 10) > last_decile_) {
      last_decile_ = static_cast<int>(f * 10);
      std::fprintf(stderr, "accuracy: %3.0f %% (%.0f s)\n", 100 * f, el);
    }
  }

 private:
  std::chrono::steady_clock::time_point t0_ = std::chrono::steady_clock::now();
  bool tty_ = isatty(2) != 0;
  int last_decile_ = -1;
};

struct Row {
  const AccuracyResult* r;
  const RunResult* cost;  // null for float
  double fixed8_energy_pj;
};

std::string pct(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.2f", 100 * v);
  return b;
}

}  // namespace

int cmd_accuracy(const std::vector<std::string>& args) {
  CommonOptions common;
  std::string workload = data_dir() + "/" + kDefaultWorkload, images, calibration;
  std::string formats_text, comp_text = "none,output_constant,error_feedback,both";
  std::string act_text = "8,4", data_dir_opt, dataset_opt, input_shape;
  int jobs = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  std::int64_t sqnr_images = 100;
  po::options_description desc("accuracy options");
  add_common_options(desc, common, true);
  desc.add_options()("workload", po::value<std::string>(&workload),
                     "trained network JSON that names its dataset, or an ONNX model with "
                     "--dataset (default workloads/fmnist_resnet/network.json)")(
      "dataset", po::value<std::string>(&dataset_opt),
      "the dataset of a workload that names none (ONNX): fashion-mnist, textlines, textpages")(
      "input-shape", po::value<std::string>(&input_shape),
      "an ONNX model's input dimensions, e.g. 1,3,48,192")(
      "images", po::value<std::string>(&images),
      "evaluation images: N (first N of the test split) or SPLIT:A-B (default: the whole test "
      "split)")("calibration", po::value<std::string>(&calibration),
                "calibration images: M (first M of the training split) or SPLIT:A-B (default "
                "500, or the whole training split when smaller)")(
      "formats", po::value<std::string>(&formats_text),
      "comma-separated weight formats (design names; default fixed8,6,5,4,3 and every ELP_BSD "
      "preset)")("compensation", po::value<std::string>(&comp_text),
                 "comma-separated compensation methods (default all four)")(
      "activation-bits", po::value<std::string>(&act_text),
      "activation widths: the first with every compensation, the others with the configured "
      "design.compensation (default 8,4)")("data-dir", po::value<std::string>(&data_dir_opt),
                                           "dataset folder (default: where Debian installs it)")(
      "jobs,j", po::value<int>(&jobs), "worker threads (default: all cores)")(
      "sqnr-images", po::value<std::int64_t>(&sqnr_images),
      "evaluation images the per-layer output SQNR is measured on (default 100)");
  po::variables_map vm;
  if (!parse_options("accuracy",
                     "[--workload FILE] [--images N|SPLIT:A-B] [--calibration M|SPLIT:A-B] "
                     "[--formats A,B] [--compensation A,B] [--activation-bits 8,4] [-j N] --out "
                     "DIR",
                     desc, args, vm)) {
    return kExitOk;
  }
  if (jobs < 1 || jobs > 256) {
    throw UserError(field_error("--jobs", "", "out of range", std::to_string(jobs), "1..256"));
  }
  if (sqnr_images < 1 || sqnr_images > 10000) {
    throw UserError(
        field_error("--sqnr-images", "", "out of range", std::to_string(sqnr_images), "1..10000"));
  }
  if (common.out_dir.empty()) common.out_dir = "out/accuracy";
  const auto t0 = std::chrono::steady_clock::now();

  // 1. What to evaluate, all checked before anything runs. Everything but the weight format comes
  //    from `base`; its design is the fixed-point one, which ignores design.elp.*, so an override
  //    that fits only some formats (design.elp.positions for v2 presets) is checked with each
  //    format it applies to, not with the default ELP_BSD format.
  const SimConfig base =
      load_design_config(common.config_file, common.overrides, "fixed", "accuracy");
  if (base.batch != 1) {
    throw UserError(field_error("workload.batch", "", "accuracy runs image by image",
                                std::to_string(base.batch),
                                "1 (batches apply to run, compare and sweep)"));
  }
  const std::vector<std::string> all_formats = default_formats();
  std::map<std::string, SimConfig> format_cfg;  // each format's configuration, loaded once
  auto load_format = [&](const std::string& f) {
    format_cfg.emplace(f, load_design_config(common.config_file, common.overrides, f, "--formats"));
  };
  const std::vector<std::string> formats =
      formats_text.empty() ? all_formats : parse_items("--formats", formats_text, load_format);
  if (formats_text.empty()) {
    for (const auto& f : formats)
      load_format(f);
  }
  const std::vector<std::string> comps =
      parse_items("--compensation", comp_text, [](const std::string& c) {
        if (c != "none" && c != "output_constant" && c != "error_feedback" && c != "both") {
          throw UserError(field_error("--compensation", "", "unknown method", "\"" + c + "\"",
                                      "none, output_constant, error_feedback or both"));
        }
      });
  std::vector<int> acts;
  for (const auto& a : parse_items("--activation-bits", act_text, [](const std::string& a) {
         if (a.size() != 1 || a[0] < '2' || a[0] > '8') {
           throw UserError(
               field_error("--activation-bits", "", "out of range", "\"" + a + "\"", "2..8"));
         }
       })) {
    acts.push_back(std::stoi(a));
  }
  Workload w = load_workload(workload, base.seed, -1,
                             input_shape.empty() ? std::vector<std::int64_t>{}
                                                 : parse_input_shape(input_shape, "--input-shape"));
  if (!dataset_opt.empty()) {
    if (!w.dataset.name.empty() && w.dataset.name != dataset_opt) {
      throw UserError(field_error("--dataset", "", "the workload names another dataset",
                                  dataset_opt, w.dataset.name));
    }
    if (w.dataset.name.empty()) w.dataset = dataset_ref(dataset_opt);
  }
  if (w.dataset.name.empty()) {
    throw UserError(field_error(workload, "dataset", "the workload names no dataset", "",
                                "a trained network JSON with \"dataset\" (e.g. " +
                                    std::string(kDefaultWorkload) + "), or --dataset NAME"));
  }
  const Dataset ds = load_dataset(w.dataset.name, data_dir_opt);
  AccuracySetup setup;
  setup.evaluation = parse_image_range(images.empty() ? std::to_string(ds.test.size()) : images,
                                       "test", ds, "--images");
  setup.calibration = parse_image_range(
      calibration.empty() ? std::to_string(std::min<std::int64_t>(500, ds.train.size()))
                          : calibration,
      "train", ds, "--calibration");
  setup.sqnr_images = sqnr_images;
  setup.jobs = jobs;
  ProgressBar bar;
  setup.progress = [&bar](std::int64_t d, std::int64_t t) { bar(d, t); };

  std::vector<AccuracyVariant> variants;
  AccuracyVariant fl;
  fl.weights = "float";
  fl.kind = "float";
  fl.compensation = "none";
  fl.cfg = base;
  variants.push_back(fl);
  for (const auto& f : formats) {
    const SimConfig& fc = format_cfg.at(f);
    for (std::size_t ai = 0; ai < acts.size(); ++ai) {
      const std::vector<std::string> cs =
          ai == 0 ? comps : std::vector<std::string>{to_string(base.design.compensation)};
      for (const auto& c : cs) {
        AccuracyVariant v;
        v.weights = f;
        v.cfg = fc.with({{"design.compensation", c, "--compensation"},
                         {"design.activation_bits", acts[ai], "--activation-bits"}});
        v.kind = v.cfg.design.mac == MacKind::FixedPoint ? "fixed" : "elp_bsd";
        v.code_bits = v.cfg.design.weight_code_bits();
        v.compensation = c;
        v.activation_bits = acts[ai];
        variants.push_back(std::move(v));
      }
    }
  }
  ResultDir out(common.out_dir);

  // 2. Accuracy, then what each quantized variant costs on the same accelerator: all of them
  //    simulated side by side, values included (the accelerator must reproduce each variant's
  //    integer inference on the first calibration image).
  const std::vector<AccuracyResult> results = evaluate_accuracy(w, ds, setup, variants);
  const double eval_s = seconds_since(t0);
  std::vector<RunRequest> req;
  std::vector<std::size_t> req_of(results.size(), SIZE_MAX);
  for (std::size_t i = 0; i < results.size(); ++i) {
    if (!results[i].cn) continue;
    req_of[i] = req.size();
    req.push_back({&results[i].variant.cfg, results[i].cn.get(), true});
  }
  const EnergyModel em(EnergyTable::load(base.energy_table_path));
  const std::vector<RunResult> costs = run_simulations(req, em);
  std::int64_t mismatches = 0;
  for (const auto& c : costs) {
    if (c.infeasible) throw UserError(c.infeasible->message());
    mismatches += c.mismatches;
  }

  // 3. Reports.
  std::map<std::pair<std::string, int>, double> fixed8;  // (compensation, act bits) -> pJ
  std::vector<Row> rows;
  for (std::size_t i = 0; i < results.size(); ++i) {
    const RunResult* c = req_of[i] == SIZE_MAX ? nullptr : &costs[req_of[i]];
    if (c && results[i].variant.weights == "fixed8") {
      fixed8[{results[i].variant.compensation, results[i].variant.activation_bits}] = c->energy_pj;
    }
    rows.push_back({&results[i], c, 0});
  }
  for (auto& r : rows) {
    const auto it = fixed8.find({r.r->variant.compensation, r.r->variant.activation_bits});
    r.fixed8_energy_pj = it == fixed8.end() ? NAN : it->second;
  }
  const std::int64_t classes = w.net.tensors.back().elements();
  const bool classifier = results.front().classifier;
  // The compensation of the agreement, SQNR and energy columns: the configured one when it was
  // evaluated, else the first evaluated.
  const std::string def_comp =
      std::find(comps.begin(), comps.end(), to_string(base.design.compensation)) != comps.end()
          ? to_string(base.design.compensation)
          : comps.front();
  const double float_top1 = results.front().top1();
  const bool whole_test = setup.evaluation.split == "test" && setup.evaluation.begin == 0 &&
                          setup.evaluation.end == ds.test.size();
  nlohmann::json j;
  j["workload"] = w.net.name;
  j["dataset"] = {{"name", w.dataset.name},
                  {"dir", ds.dir},
                  {"calibration", setup.calibration.text()},
                  {"evaluation", setup.evaluation.text()},
                  {"activation_calibration",
                   base.design.activation_percentile >= 100
                       ? std::string("minmax")
                       : "percentile " + std::to_string(base.design.activation_percentile)}};
  j["float_top1_recorded"] =
      std::isnan(w.dataset.float_top1) ? nlohmann::json() : nlohmann::json(w.dataset.float_top1);
  j["accelerator_bit_exact"] = mismatches == 0;
  j["results"] = nlohmann::json::array();
  for (const auto& r : rows) {
    const AccuracyVariant& v = r.r->variant;
    nlohmann::json e = {{"weights", v.weights},
                        {"kind", v.kind},
                        {"code_bits", v.code_bits},
                        {"compensation", v.compensation},
                        {"activation_bits", v.activation_bits},
                        {"images", r.r->images}};
    // A classifier's top-1 against the labels and its agreement with the float reference's top
    // class; every quantized variant's output SQNR against the float reference's output.
    e["top1"] = classifier ? nlohmann::json(r.r->top1()) : nlohmann::json();
    e["top1_delta_vs_float"] =
        classifier ? nlohmann::json(r.r->top1() - float_top1) : nlohmann::json();
    e["agreement_with_float"] = classifier ? nlohmann::json(r.r->agreement()) : nlohmann::json();
    e["output_sqnr_db"] = finite_or_null(r.r->output_sqnr_db);
    if (classifier && classes > 10) e["top5"] = r.r->top5();
    if (r.cost) {
      e["energy_uj"] = r.cost->energy_pj * 1e-6;
      e["energy_vs_fixed8"] = std::isnan(r.fixed8_energy_pj)
                                  ? nlohmann::json()
                                  : nlohmann::json(r.cost->energy_pj / r.fixed8_energy_pj);
      e["cycles"] = r.cost->cycles;
      e["latency_ms"] = r.cost->latency_s * 1e3;
    }
    j["results"].push_back(e);
  }
  struct LayerLine {
    const AccuracyVariant* v;
    const LayerAccuracy* l;
  };
  std::vector<LayerLine> lines;
  for (const auto& r : results) {
    for (const auto& l : r.layers)
      lines.push_back({&r.variant, &l});
  }
  const ColumnTable<LayerLine> layer_cols = {
      {"weights", "", [](const LayerLine& x) { return nlohmann::json(x.v->weights); }},
      {"compensation", "", [](const LayerLine& x) { return nlohmann::json(x.v->compensation); }},
      {"activation_bits", "bits",
       [](const LayerLine& x) { return nlohmann::json(x.v->activation_bits); }},
      {"layer", "", [](const LayerLine& x) { return nlohmann::json(x.l->layer); }},
      {"weight_count", "", [](const LayerLine& x) { return nlohmann::json(x.l->weight_count); }},
      {"weight_sqnr_db", "dB",
       [](const LayerLine& x) { return finite_or_null(x.l->weight_sqnr_db); }},
      {"output_sqnr_heldout_db", "dB",
       [](const LayerLine& x) { return finite_or_null(x.l->output_sqnr_db); }},
      {"rho_calibration", "",
       [](const LayerLine& x) { return finite_or_null(x.l->rho_calibration); }},
      {"rho_heldout", "", [](const LayerLine& x) { return finite_or_null(x.l->rho_heldout); }},
  };
  j["layers"] = to_json_array(layer_cols, lines);
  j["seconds"] = {{"accuracy", eval_s}, {"total", seconds_since(t0)}};
  j["jobs"] = jobs;

  // accuracy.md: one row per format; top-1 per compensation at the first activation width, then
  // the other widths, then the cost.
  std::ostringstream md;
  // A classifier's cells are top-1 in %; another network's the output SQNR against the float
  // reference in dB.
  auto metric = [&](const AccuracyResult& r) {
    if (classifier) return pct(r.top1());
    if (std::isnan(r.output_sqnr_db)) return std::string("-");
    char b[32];
    std::snprintf(b, sizeof b, "%.1f", r.output_sqnr_db);
    return std::string(b);
  };
  md << "# Accuracy of " << w.net.name << " on " << w.dataset.name << "\n\n"
     << (classifier ? "Top-1 in %" : "Output SQNR against the float reference in dB") << " on "
     << setup.evaluation.text() << " (" << setup.evaluation.size()
     << " images); activation scales and compensation calibrated on " << setup.calibration.text()
     << ". Energy and cycles per inference on the configured "
     << "accelerator (" << base.array.rows << "x" << base.array.cols << ").\n\n"
     << "| weights | bits |";
  for (const auto& c : comps)
    md << " " << c << " |";
  for (std::size_t ai = 1; ai < acts.size(); ++ai)
    md << " act" << acts[ai] << " (" << to_string(base.design.compensation) << ") |";
  md << " agrees with float % | output SQNR dB | energy uJ | vs fixed8 | cycles |\n|---|---|";
  for (std::size_t i = 0; i < comps.size() + acts.size() - 1; ++i)
    md << "---|";
  md << "---|---|---|---|---|\n";
  md << "| float | 32 |";
  for (std::size_t i = 0; i < comps.size() + acts.size() - 1; ++i)
    md << " " << (i == 0 && classifier ? pct(float_top1) : "") << " |";
  md << " | | | | |\n";
  for (const auto& f : formats) {
    std::vector<const Row*> fr;
    for (const auto& r : rows) {
      if (r.r->variant.weights == f) fr.push_back(&r);
    }
    md << "| " << f << " | " << fr.front()->r->variant.code_bits << " |";
    for (const Row* r : fr)
      md << " " << metric(*r->r) << " |";
    const Row* def = fr.front();
    for (const Row* r : fr) {
      if (r->r->variant.compensation == def_comp && r->r->variant.activation_bits == acts.front())
        def = r;
    }
    char b[192];
    const double ratio = def->cost->energy_pj / def->fixed8_energy_pj;
    std::snprintf(b, sizeof b, " %s | %.1f | %.3f | %s | %llu |\n",
                  classifier ? pct(def->r->agreement()).c_str() : "-", def->r->output_sqnr_db,
                  def->cost->energy_pj * 1e-6,
                  std::isnan(ratio) ? "-" : (std::to_string(ratio).substr(0, 5)).c_str(),
                  static_cast<unsigned long long>(def->cost->cycles));
    md << b;
  }
  md << "\nAgreement, output SQNR (on the first "
     << std::min(setup.sqnr_images, setup.evaluation.size())
     << " evaluation images) and energy columns: activation width " << acts.front()
     << ", compensation " << def_comp << ".";
  if (classifier) {
    md << " Float reference top-1 " << pct(float_top1) << " %";
    if (!std::isnan(w.dataset.float_top1))
      md << " (training script recorded " << pct(w.dataset.float_top1) << " %)";
    md << ".";
  }
  md << "\n";

  write_file_atomic(out.staging() + "/accuracy.json", j.dump(1) + "\n");
  write_file_atomic(out.staging() + "/accuracy.md", md.str());
  write_file_atomic(out.staging() + "/layers.csv", to_csv(layer_cols, lines));
  out.commit();

  std::cout << md.str() << "\nwall " << seconds_since(t0) << " s (" << jobs << " threads); files "
            << common.out_dir << "/{accuracy.json, accuracy.md, layers.csv}\n";
  if (whole_test && !std::isnan(w.dataset.float_top1) &&
      std::abs(float_top1 - w.dataset.float_top1) > 0.002) {
    std::cerr << "warning: the float reference's top-1 " << pct(float_top1)
              << " % differs from the " << pct(w.dataset.float_top1)
              << " % the training script recorded\n";
  }
  if (mismatches != 0) {
    std::cerr << "simulation failed: the accelerator's outputs differ from the integer inference "
                 "the accuracy was measured with\n";
    return kExitSimulationFailure;
  }
  return kExitOk;
}

}  // namespace conloc
