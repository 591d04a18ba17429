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
#include "sim/cli/labelled_data.h"
#include "sim/cli/options.h"
#include "sim/common/file_io.h"
#include "sim/common/result_dir.h"
#include "sim/common/stopwatch.h"
#include "sim/common/text.h"
#include "sim/config/sim_config.h"
#include "sim/design/design_registry.h"
#include "sim/energy/energy_model.h"
#include "sim/report/accuracy_report.h"
#include "sim/run/pipeline.h"
#include "sim/workload/onnx_import.h"

namespace conloc {

namespace {

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
  // Design lists may hold a design.layer_formats value's commas (split_design_list); the other
  // lists' items have no '='.
  for (const auto& it : split_design_list(text)) {
    if (!seen.insert(it).second) {
      throw UserError(field_error(option, "", "listed twice", "\"" + it + "\"", "each item once"));
    }
    check(it);
    items.push_back(it);
  }
  if (items.empty()) throw UserError(field_error(option, "", "empty list", "", "a list"));
  return items;
}

// What the command line asks for.
struct AccuracyOptions {
  CommonOptions common;
  std::string workload = data_dir() + "/" + kDefaultLabelledWorkload, images, calibration;
  std::string formats, compensations = "none,output_constant,error_feedback,both";
  std::string activation_bits = "8,4", dataset_dir, dataset, input_shape;
  int jobs = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  std::int64_t sqnr_images = 100;
};

// False when only help was asked for.
bool parse_accuracy_options(const std::vector<std::string>& args, AccuracyOptions& o) {
  po::options_description desc("accuracy options");
  add_common_options(desc, o.common, true);
  desc.add_options()("workload", po::value<std::string>(&o.workload),
                     "trained network JSON that names its dataset, or an ONNX model with "
                     "--dataset (default workloads/fmnist_resnet/network.json)")(
      "dataset", po::value<std::string>(&o.dataset),
      "the dataset of a workload that names none (ONNX): fashion-mnist, textlines, textpages")(
      "input-shape", po::value<std::string>(&o.input_shape),
      "an ONNX model's input dimensions, e.g. 1,3,48,192")(
      "images", po::value<std::string>(&o.images),
      "evaluation images: N (first N of the test split) or SPLIT:A-B (default: the whole test "
      "split)")("calibration", po::value<std::string>(&o.calibration),
                "calibration images: M (first M of the training split) or SPLIT:A-B (default "
                "500, or the whole training split when smaller)")(
      "formats", po::value<std::string>(&o.formats),
      "comma-separated weight formats (design names; default fixed8,6,5,4,3 and every ELP_BSD "
      "preset)")("compensation", po::value<std::string>(&o.compensations),
                 "comma-separated compensation methods (default all four)")(
      "activation-bits", po::value<std::string>(&o.activation_bits),
      "activation widths: the first with every compensation, the others with the configured "
      "design.compensation (default 8,4)")("data-dir", po::value<std::string>(&o.dataset_dir),
                                           "dataset folder (default: where Debian installs it)")(
      "jobs,j", po::value<int>(&o.jobs), "worker threads (default: all cores)")(
      "sqnr-images", po::value<std::int64_t>(&o.sqnr_images),
      "evaluation images the per-layer output SQNR is measured on (default 100)");
  po::variables_map vm;
  if (!parse_options("accuracy",
                     "[--workload FILE] [--images N|SPLIT:A-B] [--calibration M|SPLIT:A-B] "
                     "[--formats A,B] [--compensation A,B] [--activation-bits 8,4] [-j N] --out "
                     "DIR",
                     desc, args, vm)) {
    return false;
  }
  if (o.jobs < 1 || o.jobs > 256) {
    throw UserError(field_error("--jobs", "", "out of range", std::to_string(o.jobs), "1..256"));
  }
  if (o.sqnr_images < 1 || o.sqnr_images > 10000) {
    throw UserError(field_error("--sqnr-images", "", "out of range", std::to_string(o.sqnr_images),
                                "1..10000"));
  }
  if (o.common.out_dir.empty()) o.common.out_dir = "out/accuracy";
  return true;
}

// The float reference, then each format at each compensation (first activation width) and at the
// other widths with the configured compensation.
std::vector<AccuracyVariant> accuracy_variants(const SimConfig& base,
                                               const std::vector<std::string>& formats,
                                               const std::map<std::string, SimConfig>& format_cfg,
                                               const std::vector<std::string>& comps,
                                               const std::vector<int>& acts) {
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
  return variants;
}

}  // namespace

int cmd_accuracy(const std::vector<std::string>& args) {
  AccuracyOptions o;
  if (!parse_accuracy_options(args, o)) return kExitOk;
  const auto t0 = std::chrono::steady_clock::now();

  // 1. What to evaluate, all checked before anything runs. Everything but the weight format comes
  //    from `base`; its design is the fixed-point one, which ignores design.elp.*, so an override
  //    that fits only some formats (design.elp.positions for v2 presets) is checked with each
  //    format it applies to, not with the default ELP_BSD format.
  const SimConfig base =
      load_design_config(o.common.config_file, o.common.overrides, "fixed", "accuracy");
  if (base.batch != 1) {
    throw UserError(field_error("workload.batch", "", "accuracy runs image by image",
                                std::to_string(base.batch),
                                "1 (batches apply to run, compare and sweep)"));
  }
  std::map<std::string, SimConfig> format_cfg;  // each format's configuration, loaded once
  auto load_format = [&](const std::string& f) {
    format_cfg.emplace(
        f, load_design_config(o.common.config_file, o.common.overrides, f, "--formats"));
  };
  const std::vector<std::string> formats =
      o.formats.empty() ? default_formats() : parse_items("--formats", o.formats, load_format);
  if (o.formats.empty()) {
    for (const auto& f : formats)
      load_format(f);
  }
  const std::vector<std::string> comps =
      parse_items("--compensation", o.compensations, [](const std::string& c) {
        if (!parse_compensation(c)) {
          throw UserError(field_error("--compensation", "", "unknown method", "\"" + c + "\"",
                                      compensation_names()));
        }
      });
  std::vector<int> acts;
  for (const auto& a :
       parse_items("--activation-bits", o.activation_bits, [](const std::string& a) {
         if (a.size() != 1 || a[0] < '2' || a[0] > '8') {
           throw UserError(
               field_error("--activation-bits", "", "out of range", "\"" + a + "\"", "2..8"));
         }
       })) {
    acts.push_back(std::stoi(a));
  }
  const Workload w = load_labelled_workload(o.workload, o.dataset, o.input_shape, base.seed);
  const Dataset ds = load_dataset(w.dataset.name, o.dataset_dir);
  AccuracySetup setup;
  setup.evaluation = parse_image_range(o.images.empty() ? std::to_string(ds.test.size()) : o.images,
                                       "test", ds, "--images");
  setup.calibration = parse_image_range(
      o.calibration.empty() ? std::to_string(std::min<std::int64_t>(500, ds.train.size()))
                            : o.calibration,
      "train", ds, "--calibration");
  setup.sqnr_images = o.sqnr_images;
  setup.jobs = o.jobs;
  ProgressBar bar("accuracy");
  setup.progress = [&bar](std::int64_t d, std::int64_t t) { bar(d, t); };
  const std::vector<AccuracyVariant> variants =
      accuracy_variants(base, formats, format_cfg, comps, acts);
  ResultDir out(o.common.out_dir);

  // 2. Accuracy, then what each quantized variant costs on the same accelerator: all of them
  //    simulated side by side, values included (the accelerator must reproduce each variant's
  //    integer inference on the first calibration image).
  const std::vector<AccuracyResult> results = evaluate_accuracy(w, ds, setup, variants);
  const double eval_s = seconds_since(t0);
  std::vector<RunRequest> req;
  for (const auto& r : results) {
    if (r.cn) req.push_back({&r.variant.cfg, r.cn.get(), true});
  }
  const EnergyModel em(EnergyTable::load(base.energy_table_path));
  const std::vector<RunResult> costs = run_simulations(req, em);
  std::int64_t mismatches = 0;
  for (const auto& c : costs) {
    if (c.infeasible) throw UserError(c.infeasible->message());
    mismatches += c.mismatches;
  }

  // 3. Reports.
  AccuracyTable table{&w, &ds, &setup, &base, formats, comps, acts, &results, {}, mismatches == 0};
  std::size_t next_cost = 0;
  for (const auto& r : results)
    table.costs.push_back(r.cn ? &costs[next_cost++] : nullptr);
  AccuracyFiles files = accuracy_report(table);
  files.json["seconds"] = {{"accuracy", eval_s}, {"total", seconds_since(t0)}};
  files.json["jobs"] = o.jobs;
  write_file_atomic(out.staging() + "/accuracy.json", files.json.dump(1) + "\n");
  write_file_atomic(out.staging() + "/accuracy.md", files.markdown);
  write_file_atomic(out.staging() + "/layers.csv", files.layers_csv);
  out.commit();

  std::cout << files.markdown << "\nwall " << seconds_since(t0) << " s (" << o.jobs
            << " threads); files " << o.common.out_dir
            << "/{accuracy.json, accuracy.md, layers.csv}\n";
  const double float_top1 = results.front().top1();
  const bool whole_test = setup.evaluation.split == "test" && setup.evaluation.begin == 0 &&
                          setup.evaluation.end == ds.test.size();
  if (whole_test && !std::isnan(w.dataset.float_top1) &&
      std::abs(float_top1 - w.dataset.float_top1) > 0.002) {
    std::fprintf(stderr,
                 "warning: the float reference's top-1 %.2f %% differs from the %.2f %% the "
                 "training script recorded\n",
                 100 * float_top1, 100 * w.dataset.float_top1);
  }
  if (mismatches != 0) {
    std::cerr << "simulation failed: the accelerator's outputs differ from the integer inference "
                 "the accuracy was measured with\n";
    return kExitSimulationFailure;
  }
  return kExitOk;
}

}  // namespace conloc
