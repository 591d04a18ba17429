// `optimize`: the cheapest per-layer weight formats that keep an accuracy budget, searched on a
// validation split and reported on a held-out test split (docs/optimize.md).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <deque>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <thread>
#include <tuple>

#include "modules/base/error.h"
#include "sim/accuracy/accuracy.h"
#include "sim/cli/labelled_data.h"
#include "sim/cli/options.h"
#include "sim/common/file_io.h"
#include "sim/common/result_dir.h"
#include "sim/common/stopwatch.h"
#include "sim/common/text.h"
#include "sim/design/design_registry.h"
#include "sim/energy/energy_model.h"
#include "sim/energy/energy_table.h"
#include "sim/optimize/format_search.h"
#include "sim/quant/compiler.h"
#include "sim/run/pipeline.h"
#include "sim/workload/dataset.h"
#include "sim/workload/weight_source.h"

namespace conloc {

namespace {

using json = nlohmann::json;

struct OptimizeOptions {
  CommonOptions common;
  std::string workload = data_dir() + "/" + kDefaultLabelledWorkload, dataset, input_shape;
  std::string dataset_dir, calibration, validation, test, bits, families = "fixed,elp";
  std::string compensations = "none,output_constant,error_feedback,both";
  std::vector<std::string> axes;  // --axis KEY=V1,V2,...
  double max_top1_drop = std::nan(""), min_output_sqnr = std::nan("");
  int verify = 12;      // front points verified per round
  double margin_z = 0;  // --margin-z
  std::int64_t sqnr_images = 500;
  int jobs = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
};

bool parse_optimize_options(const std::vector<std::string>& args, OptimizeOptions& o) {
  po::options_description desc("optimize options");
  add_common_options(desc, o.common, true);
  desc.add_options()("workload", po::value<std::string>(&o.workload),
                     "trained network JSON that names its dataset, or an ONNX model with "
                     "--dataset (default workloads/fmnist_resnet/network.json)")(
      "dataset", po::value<std::string>(&o.dataset), "the dataset of an ONNX model")(
      "input-shape", po::value<std::string>(&o.input_shape), "an ONNX model's input dimensions")(
      "data-dir", po::value<std::string>(&o.dataset_dir), "dataset folder")(
      "max-top1-drop", po::value<double>(&o.max_top1_drop),
      "the budget of a classifier: top-1 points below float at most (on validation)")(
      "min-output-sqnr", po::value<double>(&o.min_output_sqnr),
      "the budget of any model: output SQNR against float at least, dB (on validation)")(
      "calibration", po::value<std::string>(&o.calibration),
      "calibration images: M or SPLIT:A-B (default the first 500 training images)")(
      "validation", po::value<std::string>(&o.validation),
      "images the search sees: N or SPLIT:A-B (default the first half of the test split)")(
      "test", po::value<std::string>(&o.test),
      "images the final designs are reported on, once: SPLIT:A-B (default the second half of "
      "the test split)")("bits", po::value<std::string>(&o.bits),
                         "widths a layer may take (default every one a family runs: fixed "
                         "point 2 .. the configured PE's, ELP_BSD v2 3..8)")(
      "compensations", po::value<std::string>(&o.compensations),
      "compensations a layer may take (design.compensation values; default all four; the "
      "configured design.compensation is always one)")(
      "families", po::value<std::string>(&o.families),
      "format families mixed per layer, each on its own PE: fixed (a multi-precision fixed-point "
      "PE), elp (ELP_BSD v2 on a loadable-decoder PE), elp+fixed (that PE with fixed point too, "
      "3-6 bits in its decoders); default fixed,elp")(
      "verify", po::value<int>(&o.verify), "front points verified per round (default 12)")(
      "margin-z", po::value<double>(&o.margin_z),
      "a top-1 budget is met on validation when the drop plus Z standard errors of the paired "
      "difference to float (at most sqrt(disagreements) / images) stays within it; default 0")(
      "axis", po::value<std::vector<std::string>>(&o.axes)->composing(),
      "KEY=V1,V2,...: an accelerator parameter searched jointly (array.rows, array.dataflow, "
      "buffers.*, ...; repeatable, every combination)")(
      "sqnr-images", po::value<std::int64_t>(&o.sqnr_images),
      "validation images the output SQNR is measured on (default 500)")(
      "jobs,j", po::value<int>(&o.jobs), "worker threads (default: all cores)");
  po::variables_map vm;
  if (!parse_options(
          "optimize",
          "--max-top1-drop P | --min-output-sqnr DB [--workload FILE] "
          "[--validation SPLIT:A-B] [--test SPLIT:A-B] [--bits 3,4,8] [--families fixed,elp] "
          "[--axis KEY=V1,V2]... "
          "--out DIR",
          desc, args, vm)) {
    return false;
  }
  if (std::isnan(o.max_top1_drop) == std::isnan(o.min_output_sqnr)) {
    throw UserError(field_error("--max-top1-drop", "", "give exactly one budget", "",
                                "--max-top1-drop POINTS (classifiers) or --min-output-sqnr DB"));
  }
  if (!std::isnan(o.max_top1_drop) && !(o.max_top1_drop >= 0 && o.max_top1_drop <= 100)) {
    throw UserError(field_error("--max-top1-drop", "", "out of range",
                                std::to_string(o.max_top1_drop), "0..100 points"));
  }
  if (!std::isnan(o.min_output_sqnr) && !(std::abs(o.min_output_sqnr) <= 300)) {
    throw UserError(field_error("--min-output-sqnr", "", "out of range",
                                std::to_string(o.min_output_sqnr), "-300..300 dB"));
  }
  if (!(o.margin_z >= 0 && o.margin_z <= 10)) {
    throw UserError(
        field_error("--margin-z", "", "out of range", std::to_string(o.margin_z), "0..10"));
  }
  if (o.verify < 2 || o.verify > 64)
    throw UserError(field_error("--verify", "", "out of range", std::to_string(o.verify), "2..64"));
  if (o.jobs < 1 || o.jobs > 256)
    throw UserError(field_error("--jobs", "", "out of range", std::to_string(o.jobs), "1..256"));
  if (o.sqnr_images < 1 || o.sqnr_images > 10000) {
    throw UserError(field_error("--sqnr-images", "", "out of range", std::to_string(o.sqnr_images),
                                "1..10000"));
  }
  if (o.common.out_dir.empty()) o.common.out_dir = "out/optimize";
  return true;
}

// One evaluated design: its name (a design spec), what validation or test gave and its cost.
struct Measured {
  std::string design;
  std::size_t point = 0;  // the accelerator (Problem::points)
  double top1 = 0, output_sqnr_db = 0, energy_pj = 0;
  bool meets = false;
  std::int64_t images = 0;    // the top-1 was counted on
  std::int64_t disagree = 0;  // images whose top class is not the float reference's
  double drop_bound = 0;      // the top-1 drop plus --margin-z standard errors (top-1 budgets)
};

// A family of per-layer formats and the PE a mix of them runs on (design.layer_formats,
// docs/optimize.md): fixed point sign-extended into a fixed-point PE, or ELP_BSD v2 formats whose
// tables are loaded into a loadable-decoder PE (elp3v2l .. elp8v2l), with (elp+fixed) or
// without fixed-point level sets in those tables.
// A layer's option is a format and a compensation: option i * C + c is formats[i] with
// compensation comps[c] (C compensations; comps[0] is the configured design.compensation).
struct Family {
  std::string name;       // "fixed", "elp" or "elp+fixed"
  int configured = 8;     // fixed: the configured PE's width (design.fixed.weight_bits)
  std::vector<int> bits;  // widths a layer may take (and PEs), ascending
  // The formats a layer may take, (width, name) by ascending width: each width's own format (the
  // PE's); for ELP_BSD at 3 bits also the one-term Laplace set elp3v2 beside elp3v2l, and
  // (elp+fixed) fixed point of each width whose integers a loadable decoder of the family holds
  // (fixed3 .. fixed6).
  std::vector<std::pair<int, std::string>> formats;
  // Per format, the index in `bits` of the narrowest PE that runs it: its own width's, or for
  // fixed point on ELP_BSD the first with terms enough (fixed5 needs a three-term PE, elp7v2l).
  std::vector<int> format_pe;
  std::vector<std::string> comps;  // compensations a layer may take, the configured first
  int top() const { return bits.back(); }
  bool elp() const { return name != "fixed"; }  // a loadable-decoder ELP_BSD PE
  // The ELP_BSD PE's decoders also take the fixed-point widths whose integers they hold.
  bool hosts_fixed() const { return name == "elp+fixed"; }
  int c() const { return static_cast<int>(comps.size()); }
  int options() const { return static_cast<int>(formats.size()) * c(); }
  int format_index(int o) const { return o / c(); }
  int comp(int o) const { return o % c(); }
  int width(int o) const { return formats[static_cast<std::size_t>(format_index(o))].first; }
  int pe_index(int o) const { return format_pe[static_cast<std::size_t>(format_index(o))]; }
  // A width's own format (the PE's): fixed<b>, or ELP_BSD v2 with its own level set.
  std::string own(int b) const {
    return (elp() ? "elp" : "fixed") + std::to_string(b) + (elp() ? "v2l" : "");
  }
  // Width index k's own format at the configured compensation.
  int own_option(int k) const {
    const std::string n = own(bits[static_cast<std::size_t>(k)]);
    for (std::size_t i = 0; i < formats.size(); ++i)
      if (formats[i].second == n) return static_cast<int>(i) * c();
    throw InternalError("optimize: no format " + n);
  }
  // The widest PE's own design's option.
  int top_option() const { return own_option(static_cast<int>(bits.size()) - 1); }
  // Option o as design.layer_formats writes it: FORMAT or FORMAT/COMPENSATION.
  std::string layer_format(int o) const {
    const std::string& f = formats[static_cast<std::size_t>(format_index(o))].second;
    return comp(o) == 0 ? f : f + "/" + comps[static_cast<std::size_t>(comp(o))];
  }
  // The narrowest PE that runs layers up to width w, as a design spec: the one of format w.
  std::string pe_spec(int w) const { return !elp() && w == configured ? "fixed" : own(w); }
  std::string label() const {
    return hosts_fixed() ? "ELP_BSD v2 + fixed point" : elp() ? "ELP_BSD v2" : "fixed point";
  }
};

// Everything the search works with, fixed before it starts.
struct Problem {
  SimConfig base;  // the configured fixed-point design
  int pe_bits = 8;
  std::vector<Family> families;     // searched, each with at least one width
  std::vector<std::string> layers;  // PE-array layers
  Workload w;
  Dataset ds;
  AccuracySetup validation, test;
  double max_top1_drop = 0, min_output_sqnr = 0;
  bool top1_budget = true;
  int verify = 12;      // front points verified per round
  double margin_z = 0;  // --margin-z
  // The accelerators searched (--axis): each the --set assignments that make it; one, empty,
  // without axes. Accuracy does not depend on them (make_problem checks the compile is the same).
  std::vector<std::vector<std::string>> points;
  std::unique_ptr<EnergyModel> em;
};

// The configuration of design `spec` on accelerator `point` (Problem::points).
SimConfig design_config(const OptimizeOptions& o, const std::vector<std::string>& point,
                        const std::string& spec) {
  std::vector<std::string> sets = o.common.overrides;
  sets.insert(sets.end(), point.begin(), point.end());
  return load_design_config(o.common.config_file, sets, spec, "optimize");
}

// A design whose accuracy and cost are measured: its spec and configuration (on the first
// accelerator: accuracy is the same on every one).
AccuracyVariant variant_of(const OptimizeOptions& o, const Problem& p, const std::string& spec) {
  AccuracyVariant v;
  v.weights = spec;
  v.cfg = design_config(o, p.points.front(), spec);
  v.kind = v.cfg.design.mac == MacKind::FixedPoint ? "fixed" : "elp_bsd";
  v.code_bits = v.cfg.design.weight_code_bits();
  v.compensation = to_string(v.cfg.design.compensation);
  v.activation_bits = v.cfg.design.activation_bits;
  return v;
}

AccuracyVariant float_variant(const SimConfig& base) {
  AccuracyVariant f;
  f.weights = "float";
  f.kind = "float";
  f.compensation = "none";
  f.cfg = base;
  return f;
}

// The design spec of per-layer options `formats` (Family::option, per PE-array layer) of family
// `f`: on the family's widest PE, or (`narrowest`) on the narrowest PE that holds its widest
// layer, the PE an architect would build for it.
std::string mixed_spec(const Problem& p, const Family& f, const std::vector<int>& formats,
                       bool narrowest) {
  int widest = f.top();
  if (narrowest) {
    int k = 0;
    for (int o : formats)
      k = std::max(k, f.pe_index(o));
    widest = f.bits[static_cast<std::size_t>(k)];
  }
  const std::string own = f.own(widest);
  std::string lf;
  for (std::size_t i = 0; i < formats.size(); ++i) {
    const std::string fmt = f.layer_format(formats[i]);
    if (fmt != own) lf += (lf.empty() ? "" : ",") + p.layers[i] + "=" + fmt;
  }
  const std::string base = f.pe_spec(widest);
  return lf.empty() ? base : base + "@design.layer_formats=" + lf;
}

// Every layer of family `f` at width index k with the configured compensation (k < 0: the
// family's widest PE's own design).
std::vector<int> all_at(const Problem& p, const Family& f, int k) {
  return std::vector<int>(p.layers.size(), k < 0 ? f.top_option() : f.own_option(k));
}

bool ranges_overlap(const ImageRange& a, const ImageRange& b) {
  return a.split == b.split && a.begin < b.end && b.begin < a.end;
}

// The accelerators of the --axis options, every combination in order (the first axis slowest):
// each value is checked as a --set would be, and must leave the compiled network as it is (only
// the accelerator around the weights is searched jointly).
std::vector<std::vector<std::string>> accelerator_points(const OptimizeOptions& o,
                                                         const SimConfig& base) {
  std::vector<std::vector<std::string>> points(1);
  std::set<std::string> keys;
  const std::string key0 = compile_spec(base, true).key;
  for (const std::string& axis : o.axes) {
    const auto eq = axis.find('=');
    const std::string key = eq == std::string::npos ? "" : trim(axis.substr(0, eq));
    const std::vector<std::string> values =
        eq == std::string::npos ? std::vector<std::string>{} : split_list(axis.substr(eq + 1));
    if (key.empty() || values.empty() || !keys.insert(key).second) {
      throw UserError(field_error("--axis", "", "not KEY=V1,V2,... of a key given once",
                                  "\"" + axis + "\"", "e.g. array.rows=8,16,32"));
    }
    std::vector<std::vector<std::string>> next;
    for (const auto& pt : points) {
      for (const std::string& v : values) {
        const std::string kv = key + "=" + trim(v);
        std::vector<std::string> sets = o.common.overrides;
        sets.push_back(kv);
        SimConfig c;
        try {
          c = load_design_config(o.common.config_file, sets, "fixed", "--axis");
        } catch (const UserError& e) {
          throw UserError(std::string("--axis ") + axis + ": " + e.what());
        }
        if (compile_spec(c, true).key != key0) {
          throw UserError(field_error("--axis", key, "changes the compiled network", kv,
                                      "an accelerator parameter (array.*, buffers.*, dram.*, "
                                      "mapping.*, vector.*, clock_ghz)"));
        }
        next.push_back(pt);
        next.back().push_back(kv);
      }
    }
    points = std::move(next);
    if (points.size() > 64) {
      throw UserError(field_error("--axis", "", "too many accelerators",
                                  std::to_string(points.size()), "at most 64 combinations"));
    }
  }
  return points;
}

// The widths of the loadable-decoder PEs (elp3v2l .. elp8v2l).
constexpr int kElpMinBits = 3, kElpMaxBits = 8;
constexpr const char* kElpWidths = "3..8";

// The format families of --families over the widths of --bits and the compensations of
// --compensations (the configured one first), each checked: errors name the option.
std::vector<Family> make_families(const OptimizeOptions& o, int pe_bits,
                                  const std::string& configured_comp) {
  std::vector<Family> families;
  std::set<int> bits;
  for (const std::string& b : split_list(o.bits)) {
    const bool ok = !b.empty() && b.size() <= 2 && b.find_first_not_of("0123456789") == b.npos;
    const int v = ok ? std::stoi(b) : 0;
    if (v < 2 || v > std::max(pe_bits, kElpMaxBits)) {
      throw UserError(field_error(
          "--bits", "", "not a width a PE runs", "\"" + b + "\"",
          "2.." + std::to_string(pe_bits) + " (fixed point) or " + kElpWidths + " (ELP_BSD v2)"));
    }
    bits.insert(v);
  }
  if (o.bits.empty()) {
    for (int b = 2; b <= std::max(pe_bits, kElpMaxBits); ++b)
      bits.insert(b);
  }
  // The configured compensation first: the widest PE's own design, the anchors and the uniform
  // designs' reference use it.
  std::vector<std::string> comps = {configured_comp};
  for (const std::string& c : split_list(o.compensations)) {
    const std::string t = trim(c);
    if (!parse_compensation(t)) {
      throw UserError(field_error("--compensations", "", "not a compensation", "\"" + t + "\"",
                                  compensation_names()));
    }
    if (std::find(comps.begin(), comps.end(), t) == comps.end()) comps.push_back(t);
  }
  std::set<std::string> names;
  for (const std::string& n : split_list(o.families)) {
    if ((n != "fixed" && n != "elp" && n != "elp+fixed") || !names.insert(n).second) {
      throw UserError(field_error("--families", "", "not a list of distinct families",
                                  "\"" + o.families + "\"",
                                  "a list of fixed, elp and elp+fixed (default fixed,elp)"));
    }
    Family f{n, pe_bits, {}, {}, {}, comps};
    for (int b : bits) {
      if (f.elp() ? (b >= kElpMinBits && b <= kElpMaxBits) : b <= pe_bits) f.bits.push_back(b);
    }
    if (!f.elp() && (f.bits.empty() || f.bits.back() != pe_bits)) f.bits.push_back(pe_bits);
    if (f.bits.empty()) {
      throw UserError(field_error("--bits", "", "no width of the " + f.label() + " family",
                                  "\"" + o.bits + "\"",
                                  std::string("an ELP_BSD v2 width, ") + kElpWidths));
    }
    for (std::size_t k = 0; k < f.bits.size(); ++k) {
      const int b = f.bits[k];
      auto add = [&f](int width, std::string name, std::size_t pe) {
        f.formats.emplace_back(width, std::move(name));
        f.format_pe.push_back(static_cast<int>(pe));
      };
      if (f.elp() && b == 3) add(3, "elp3v2", k);
      add(b, f.own(b), k);
      if (!f.hosts_fixed()) continue;
      for (std::size_t pe = k; pe < f.bits.size(); ++pe) {
        if (fixed_on_loadable(b, ElpLutFormat::preset(f.own(f.bits[pe])).params())) {
          add(b, "fixed" + std::to_string(b), pe);
          break;
        }
      }
    }
    families.push_back(f);
  }
  // A width given that no family searched runs is an error, not dropped.
  for (int b : bits) {
    if (o.bits.empty()) break;
    const bool used = std::any_of(families.begin(), families.end(), [b](const Family& f) {
      return std::find(f.bits.begin(), f.bits.end(), b) != f.bits.end();
    });
    if (!used) {
      throw UserError(field_error("--bits", "", "not a width of the families searched",
                                  std::to_string(b),
                                  "fixed point 2.." + std::to_string(pe_bits) + ", ELP_BSD v2 " +
                                      kElpWidths + " (--families " + o.families + ")"));
    }
  }
  return families;
}

Problem make_problem(const OptimizeOptions& o) {
  Problem p;
  p.base = load_design_config(o.common.config_file, o.common.overrides, "fixed", "optimize");
  if (!p.base.design.layer_formats.empty()) {
    throw UserError(field_error(p.base.design.layer_formats_source, "design.layer_formats",
                                "optimize chooses the layer formats itself", "",
                                "leave design.layer_formats empty"));
  }
  if (p.base.batch != 1) {
    throw UserError(field_error("workload.batch", "", "optimize evaluates image by image",
                                std::to_string(p.base.batch), "1"));
  }
  p.pe_bits = p.base.design.fixed_weight_bits;
  p.points = accelerator_points(o, p.base);
  p.families = make_families(o, p.pe_bits, to_string(p.base.design.compensation));
  p.w = load_labelled_workload(o.workload, o.dataset, o.input_shape, p.base.seed);
  if (dynamic_cast<const SyntheticWeights*>(p.w.weights.get()) != nullptr) {
    throw UserError(field_error("--workload", "", "synthetic weights have no accuracy to keep",
                                o.workload, "a workload with trained weights"));
  }
  for (const Layer& l : p.w.net.layers)
    if (l.on_pe_array()) p.layers.push_back(l.name);
  p.top1_budget = !std::isnan(o.max_top1_drop);
  if (p.top1_budget && !is_classifier(p.w.net)) {
    throw UserError(field_error("--max-top1-drop", "", "the model is not a classifier", "",
                                "--min-output-sqnr DB"));
  }
  p.max_top1_drop = o.max_top1_drop / 100.0;
  p.min_output_sqnr = o.min_output_sqnr;
  p.ds = load_dataset(p.w.dataset.name, o.dataset_dir);
  const std::int64_t n_train = p.ds.train.size();
  const ImageRange cal = parse_image_range(
      o.calibration.empty() ? std::to_string(std::min<std::int64_t>(500, n_train)) : o.calibration,
      "train", p.ds, "--calibration");
  // By default the test split's two halves: the search's validation images and the images the
  // final designs are reported on, both unseen by training (the training split is what the
  // weights were fitted to) and by calibration.
  const std::int64_t n_test = p.ds.test.size();
  if ((o.validation.empty() || o.test.empty()) && n_test < 2) {
    throw UserError(
        field_error(o.validation.empty() ? "--validation" : "--test", "",
                    "the test split has " + std::to_string(n_test) + " images: too few to halve",
                    "", "--validation SPLIT:A-B and --test SPLIT:A-B"));
  }
  const std::string half = std::to_string(n_test / 2);
  const ImageRange val = parse_image_range(
      o.validation.empty() ? "test:0-" + std::to_string(n_test / 2 - 1) : o.validation, "test",
      p.ds, "--validation");
  const ImageRange tst =
      parse_image_range(o.test.empty() ? "test:" + half + "-" + std::to_string(n_test - 1) : o.test,
                        "test", p.ds, "--test");
  const std::pair<const char*, const ImageRange*> named[] = {
      {"--calibration", &cal}, {"--validation", &val}, {"--test", &tst}};
  for (int a = 0; a < 3; ++a) {
    for (int b = a + 1; b < 3; ++b) {
      if (ranges_overlap(*named[a].second, *named[b].second)) {
        throw UserError(field_error(named[b].first, "", std::string("overlaps ") + named[a].first,
                                    named[b].second->text(), "disjoint image sets"));
      }
    }
  }
  for (AccuracySetup* s : {&p.validation, &p.test}) {
    s->calibration = cal;
    s->sqnr_images = o.sqnr_images;
    s->layer_statistics = false;
    s->jobs = o.jobs;
  }
  p.validation.evaluation = val;
  p.test.evaluation = tst;
  p.verify = o.verify;
  p.margin_z = o.margin_z;
  p.em = std::make_unique<EnergyModel>(EnergyTable::load(p.base.energy_table_path));
  return p;
}

// Accelerator `q` as its --axis settings ("the configured accelerator" without axes).
std::string point_text(const Problem& p, std::size_t q) {
  std::string t;
  for (const std::string& kv : p.points[q])
    t += (t.empty() ? "" : ", ") + kv;
  return t.empty() ? "the configured accelerator" : t;
}

// Validation or test accuracy of `variants` (the float reference added first) and, with
// `simulate`, each one's simulated energy per inference on every accelerator: the float
// reference, then per variant one Measured per accelerator (Problem::points), the accuracy the
// same on each.
std::vector<Measured> measure(const OptimizeOptions& o, const Problem& p,
                              const AccuracySetup& setup,
                              const std::vector<AccuracyVariant>& variants, bool simulate,
                              const std::string& what) {
  // Each design once: families that share formats ask for the same designs (they are looked up
  // by name).
  std::vector<AccuracyVariant> all = {float_variant(p.base)};
  std::set<std::string> seen;
  for (const AccuracyVariant& v : variants)
    if (seen.insert(v.weights).second) all.push_back(v);
  ProgressBar bar("optimize: " + what);
  AccuracySetup s = setup;
  s.progress = [&bar](std::int64_t d, std::int64_t t) { bar(d, t); };
  const std::vector<AccuracyResult> r = evaluate_accuracy(p.w, p.ds, s, all);
  const std::size_t n_points = p.points.size();
  std::vector<SimulatedCost> costs;
  if (simulate) {
    std::deque<SimConfig> cfgs;  // RunRequest points at them
    std::vector<RunRequest> req;
    for (std::size_t i = 1; i < r.size(); ++i) {
      for (std::size_t q = 0; q < n_points; ++q) {
        const SimConfig* cfg = &r[i].variant.cfg;
        if (q > 0) cfg = &cfgs.emplace_back(design_config(o, p.points[q], r[i].variant.weights));
        req.push_back({cfg, r[i].cn.get(), true});
      }
    }
    costs = simulate_in_child(req, *p.em);
  }
  std::vector<Measured> out;
  out.push_back({"float", 0, r[0].top1(), r[0].output_sqnr_db, 0.0, false, r[0].images});
  for (std::size_t i = 1; i < r.size(); ++i) {
    for (std::size_t q = 0; q < n_points; ++q) {
      Measured m{r[i].variant.weights,
                 q,
                 r[i].top1(),
                 r[i].output_sqnr_db,
                 0.0,
                 false,
                 r[i].images,
                 r[i].images - r[i].agree_float};
      if (simulate) {
        const SimulatedCost& c = costs[(i - 1) * n_points + q];
        if (!c.infeasible.empty()) {
          throw UserError(m.design + " on " + point_text(p, q) + ": " + c.infeasible);
        }
        if (c.mismatches != 0) {
          throw SimulationError(m.design +
                                ": the accelerator's outputs differ from the integer inference");
        }
        m.energy_pj = c.energy_pj;
      }
      // The paired difference to float changes only on images whose top class differs, by at
      // most one each: its standard error is at most sqrt(disagreements) / images.
      m.drop_bound = r[0].top1() - m.top1 +
                     (m.images > 0 ? p.margin_z * std::sqrt(static_cast<double>(m.disagree)) /
                                         static_cast<double>(m.images)
                                   : 0.0);
      m.meets = p.top1_budget ? m.drop_bound <= p.max_top1_drop + 1e-12
                              : m.output_sqnr_db >= p.min_output_sqnr;
      out.push_back(m);
    }
  }
  return out;
}

std::string two_decimals(double v) {
  char b[64];
  std::snprintf(b, sizeof b, "%.2f", v);
  return b;
}

double noise_of(const Measured& m) {
  return std::pow(10.0, -m.output_sqnr_db / 10.0);
}

json measured_json(const Problem& p, const Measured& m) {
  json axes = json::object();
  for (const std::string& kv : p.points[m.point])
    axes[kv.substr(0, kv.find('='))] = kv.substr(kv.find('=') + 1);
  // The top-1's 95 % confidence half-width on these images (normal approximation).
  const double ci95 =
      m.images > 0 ? 1.96 * std::sqrt(m.top1 * (1 - m.top1) / static_cast<double>(m.images)) : 0.0;
  return {{"design", m.design},
          {"disagreements_with_float", m.disagree},
          {"top1_drop_bound", m.drop_bound},
          {"accelerator", axes},
          {"top1", m.top1},
          {"top1_ci95", ci95},
          {"images", m.images},
          {"output_sqnr_db", m.output_sqnr_db},
          {"energy_pj", m.energy_pj},
          {"meets_budget", m.meets}};
}

// The cheapest of `ms` that meets the budget, or null.
const Measured* cheapest_meeting(const std::vector<const Measured*>& ms) {
  const Measured* best = nullptr;
  for (const Measured* m : ms) {
    if (m->meets && (!best || m->energy_pj < best->energy_pj)) best = m;
  }
  return best;
}

// The uniform designs the mixed ones are compared with: fixed point of every searched width on
// its own PE, and every ELP_BSD preset (term-serial MACs compute what parallel ones do), each
// with every compensation searched.
std::vector<std::string> uniform_designs(const Problem& p) {
  std::set<int> fixed = {p.pe_bits};
  for (const Family& f : p.families) {
    if (!f.elp()) fixed.insert(f.bits.begin(), f.bits.end());
  }
  std::vector<std::string> names;
  for (int b : fixed)
    names.push_back(b == p.pe_bits ? "fixed" : "fixed" + std::to_string(b));
  for (const auto& n : design_names()) {
    if (n.rfind("elp", 0) == 0 && n != "elp" && n.find("-serial") == std::string::npos)
      names.push_back(n);
  }
  // Each with every compensation searched (the configured one is the design's own).
  std::vector<std::string> u;
  for (const std::string& n : names) {
    const auto& comps = p.families.front().comps;
    for (std::size_t c = 0; c < comps.size(); ++c)
      u.push_back(c == 0 ? n : n + "@design.compensation=" + comps[c]);
  }
  return u;
}

// The measurement of design `design` on accelerator `q` among `ms`.
const Measured& at(const std::vector<Measured>& ms, const std::string& design, std::size_t q) {
  for (const Measured& m : ms)
    if (m.design == design && m.point == q) return m;
  throw InternalError("optimize: " + design + " was not measured");
}

// What the search found, for the reports.
struct Search {
  // Float, then per family its widest PE's design and every layer alone at every narrower width,
  // on the validation images the output SQNR is measured on; each on every accelerator (measure).
  std::vector<Measured> sens;
  // Float, then every uniform design (uniform_designs) and every family's anchors (every layer at
  // one width on the narrowest PE for it, the same designs where a uniform one is that), on every
  // accelerator, on every validation image.
  std::vector<Measured> uniform;
  std::vector<std::string> uniform_specs;  // the designs of `uniform` that are uniform designs
  // Per family: its front (energies absolute, pJ; each choice's group: its accelerator), the
  // output noise of its widest PE's design, and the front points verified (by front index).
  std::vector<std::vector<FormatChoice>> front;
  std::vector<double> base_noise;
  std::vector<std::map<std::size_t, Measured>> verified;
  const Measured* chosen = nullptr;
  const Measured* best_fixed_mixed = nullptr;  // the fixed family's cheapest, when searched
  const Measured* best_uniform = nullptr;
  const Measured* best_uniform_fixed = nullptr;
};

// The front of family `f` on accelerator `q` over every PE width: for each width P, the layers'
// options up to P, each choice's energy (absolute) moved by what its narrowest PE saves. That
// saving of a P-bit PE is estimated from the runs made: the anchor (every layer at P on that PE)
// against the proxy of every layer at P on the family's widest PE (the sum of the layers' own
// savings).
std::vector<FormatChoice> narrowest_pe_front(const Problem& p, const Search& s, const Family& f,
                                             const std::vector<std::vector<LayerOption>>& options,
                                             std::size_t q) {
  const double base = at(s.sens, mixed_spec(p, f, all_at(p, f, -1), false), q).energy_pj;
  std::vector<double> pe_saving(f.bits.size(), 0.0);
  for (std::size_t k = 0; k + 1 < f.bits.size(); ++k) {
    const int kk = static_cast<int>(k);
    double all_at_k = base;
    for (const auto& layer : options)
      all_at_k += layer[static_cast<std::size_t>(f.own_option(kk))].energy;  // indexed by option
    pe_saving[k] = at(s.uniform, mixed_spec(p, f, all_at(p, f, kk), true), q).energy_pj - all_at_k;
  }
  std::vector<FormatChoice> all;
  for (std::size_t k = 0; k < f.bits.size(); ++k) {
    std::vector<std::vector<LayerOption>> up_to(options.size());
    for (std::size_t l = 0; l < options.size(); ++l) {
      for (const LayerOption& o : options[l])
        if (f.pe_index(o.format) <= static_cast<int>(k)) up_to[l].push_back(o);
    }
    for (FormatChoice c : pareto_front(up_to, 1024)) {
      int widest = 0;
      for (int o : c.formats)
        widest = std::max(widest, f.pe_index(o));
      c.energy += base + pe_saving[static_cast<std::size_t>(widest)];
      c.group = static_cast<int>(q);
      all.push_back(std::move(c));
    }
  }
  return non_dominated(std::move(all));
}

// The validation images the output SQNR is measured on (the first --sqnr-images).
ImageRange sqnr_range(const Problem& p) {
  ImageRange r = p.validation.evaluation;
  r.end = std::min(r.end, r.begin + p.validation.sqnr_images);
  return r;
}

// Layer l of family f alone at option o (o < 0: none), the others at the widest PE's own, on
// that PE.
std::string single_layer_spec(const Problem& p, const Family& f, std::size_t l, int o) {
  std::vector<int> formats = all_at(p, f, -1);
  if (o >= 0) formats[l] = o;
  return mixed_spec(p, f, formats, false);
}

// 1. Per family, every layer alone at every narrower width (on the validation images the output
// SQNR is measured on: the proxy reads nothing else) and every uniform design and anchor (on
// every validation image), each also simulated; each family's front of the additive proxy.
void sensitivity(const OptimizeOptions& o, const Problem& p, Search& s) {
  std::vector<AccuracyVariant> vs;
  for (const Family& f : p.families) {
    vs.push_back(variant_of(o, p, single_layer_spec(p, f, 0, -1)));
    for (std::size_t l = 0; l < p.layers.size(); ++l) {
      for (int k = 0; k < f.options(); ++k)
        if (k != f.top_option()) vs.push_back(variant_of(o, p, single_layer_spec(p, f, l, k)));
    }
  }
  AccuracySetup on_sqnr_images = p.validation;
  on_sqnr_images.evaluation = sqnr_range(p);
  s.sens = measure(o, p, on_sqnr_images, vs, true, "sensitivity");
  s.uniform_specs = uniform_designs(p);
  std::vector<std::string> specs = s.uniform_specs;
  for (const Family& f : p.families) {
    for (std::size_t k = 0; k + 1 < f.bits.size(); ++k) {
      const std::string a = mixed_spec(p, f, all_at(p, f, static_cast<int>(k)), true);
      if (std::find(specs.begin(), specs.end(), a) == specs.end()) specs.push_back(a);
    }
  }
  vs.clear();
  for (const auto& u : specs)
    vs.push_back(variant_of(o, p, u));
  s.uniform = measure(o, p, p.validation, vs, true, "uniform designs");
  for (const Family& f : p.families) {
    const std::string widest = single_layer_spec(p, f, 0, -1);
    const double base_noise = noise_of(at(s.sens, widest, 0));
    s.base_noise.push_back(base_noise);
    std::vector<FormatChoice> fronts;
    for (std::size_t q = 0; q < p.points.size(); ++q) {
      const double base = at(s.sens, widest, q).energy_pj;
      // Per layer, every option, indexed by option (the widest PE's own adds nothing).
      std::vector<std::vector<LayerOption>> options(p.layers.size());
      for (std::size_t l = 0; l < p.layers.size(); ++l) {
        for (int k = 0; k < f.options(); ++k) {
          if (k == f.top_option()) {
            options[l].push_back({k, 0.0, 0.0});
            continue;
          }
          const Measured& m = at(s.sens, single_layer_spec(p, f, l, k), q);
          options[l].push_back({k, std::max(0.0, noise_of(m) - base_noise), m.energy_pj - base});
        }
      }
      for (FormatChoice& c : narrowest_pe_front(p, s, f, options, q))
        fronts.push_back(std::move(c));
    }
    s.front.push_back(non_dominated(std::move(fronts)));
  }
  s.verified.resize(p.families.size());
  std::vector<const Measured*> uniform, fixed;
  for (const std::string& u : s.uniform_specs) {
    for (std::size_t q = 0; q < p.points.size(); ++q) {
      uniform.push_back(&at(s.uniform, u, q));
      if (u.rfind("fixed", 0) == 0) fixed.push_back(uniform.back());
    }
  }
  s.best_uniform = cheapest_meeting(uniform);
  s.best_uniform_fixed = cheapest_meeting(fixed);
}

// Front indices [lo, hi] of family `f` not yet verified, at most n of them evenly spread (both
// ends first).
std::vector<std::size_t> spread(const Search& s, std::size_t f, std::size_t lo, std::size_t hi,
                                int n) {
  std::vector<std::size_t> out;
  for (int k = 0; k < n && hi >= lo; ++k) {
    const std::size_t i =
        lo + static_cast<std::size_t>(std::llround(static_cast<double>(hi - lo) * k / (n - 1)));
    if (!s.verified[f].count(i) && std::find(out.begin(), out.end(), i) == out.end())
      out.push_back(i);
  }
  return out;
}

// 2. Each family's front points verified end to end on validation (compiled, evaluated,
// simulated): a spread over the whole front, then up to three rounds between the cheapest point
// that meets the budget and the next verified point that does not. The rounds of every family
// run together.
void verify(const OptimizeOptions& o, const Problem& p, Search& s) {
  // Each design once (its accuracy is the same on every accelerator), simulated on all of them.
  auto round = [&](const std::vector<std::vector<std::size_t>>& idx, const std::string& what) {
    std::vector<std::string> specs;                                         // each design once
    std::vector<std::tuple<std::size_t, std::size_t, std::string>> points;  // family, index, spec
    for (std::size_t f = 0; f < idx.size(); ++f) {
      for (std::size_t i : idx[f]) {
        points.emplace_back(f, i, mixed_spec(p, p.families[f], s.front[f][i].formats, true));
        const std::string& spec = std::get<2>(points.back());
        if (std::find(specs.begin(), specs.end(), spec) == specs.end()) specs.push_back(spec);
      }
    }
    std::vector<AccuracyVariant> vs;
    for (const std::string& spec : specs)
      vs.push_back(variant_of(o, p, spec));
    const std::vector<Measured> m = measure(o, p, p.validation, vs, true, what);
    for (const auto& [f, i, spec] : points)
      s.verified[f][i] = at(m, spec, static_cast<std::size_t>(s.front[f][i].group));
  };
  std::vector<std::vector<std::size_t>> first;
  for (std::size_t f = 0; f < p.families.size(); ++f)
    first.push_back(spread(s, f, 0, s.front[f].size() - 1, p.verify));
  round(first, "verify");
  // Up to three refining rounds, each between a family's cheapest verified point that meets the
  // budget and the next verified one that does not, while points lie between them.
  for (int r = 1; r <= 3; ++r) {
    std::vector<std::vector<std::size_t>> next_round;
    bool any_left = false;
    for (std::size_t f = 0; f < p.families.size(); ++f) {
      next_round.emplace_back();
      std::size_t lo = 0;
      bool any = false;
      for (const auto& [i, m] : s.verified[f]) {
        if (m.meets) {
          lo = i;
          any = true;
        }
      }
      auto next = s.verified[f].upper_bound(lo);
      if (any && next != s.verified[f].end() && next->first > lo + 1)
        next_round.back() = spread(s, f, lo + 1, next->first - 1, p.verify);
      any_left = any_left || !next_round.back().empty();
    }
    if (!any_left) break;
    round(next_round, "refine " + std::to_string(r));
  }
}

// 3. The chosen design: the cheapest verified one of any family that meets the budget (and the
// fixed family's own); none is an error naming the budget and the best reachable.
void choose(const Problem& p, Search& s) {
  std::vector<const Measured*> all, fixed;
  for (std::size_t f = 0; f < p.families.size(); ++f) {
    for (const auto& [i, m] : s.verified[f]) {
      all.push_back(&m);
      if (!p.families[f].elp()) fixed.push_back(&m);
    }
  }
  s.chosen = cheapest_meeting(all);
  s.best_fixed_mixed = cheapest_meeting(fixed);
  if (s.chosen) return;
  const Measured* best = all.front();
  for (const Measured* m : all) {
    if ((p.top1_budget ? m->top1 > best->top1 : m->output_sqnr_db > best->output_sqnr_db)) best = m;
  }
  const double need =
      p.top1_budget ? 100 * (s.uniform[0].top1 - p.max_top1_drop) : p.min_output_sqnr;
  throw UserError(field_error(
      p.top1_budget ? "--max-top1-drop" : "--min-output-sqnr", "",
      "no design meets the budget on the validation images; the best reachable is " + best->design +
          " at " + two_decimals(p.top1_budget ? 100 * best->top1 : best->output_sqnr_db) +
          (p.top1_budget ? " % top-1" : " dB"),
      two_decimals(need), "a budget the PE's own design meets"));
}

// The format of each PE-array layer of a front point of family `f`: "conv1 fixed8, ...".
std::string formats_text(const Problem& p, const Family& f, const FormatChoice& c) {
  std::string t;
  for (std::size_t i = 0; i < c.formats.size(); ++i) {
    t += (t.empty() ? "" : ", ") + p.layers[i] + " " + f.layer_format(c.formats[i]);
  }
  return t;
}

// The summary on stdout, from the report `j`.
void print_summary(const Problem& p, const Search& s, const json& j,
                   const std::vector<Measured>& test, const std::string& out_dir) {
  auto test_of = [&](const Measured* m) -> const json& {
    for (const char* k : {"chosen", "best_fixed_mixed", "best_uniform", "best_uniform_fixed"}) {
      if (!j[k].is_null() && j[k]["validation"]["design"] == m->design) return j[k]["test"];
    }
    throw InternalError("optimize: no test figures for " + m->design);
  };
  // Top-1 for a top-1 budget, the output SQNR for an SQNR one.
  auto figure = [&](double top1, double sqnr) {
    char b[64];
    std::snprintf(b, sizeof b, p.top1_budget ? "%.2f %%" : "%.1f dB",
                  p.top1_budget ? 100 * top1 : sqnr);
    return std::string(b);
  };
  auto line = [&](const char* label, const Measured* m) {
    if (!m) {
      std::printf("  %-19s none meets the budget\n", label);
      return;
    }
    const json& t = test_of(m);
    std::printf(
        "  %-19s validation %s, test %s, %.3f uJ  %s\n", label,
        figure(m->top1, m->output_sqnr_db).c_str(),
        figure(t["top1"].get<double>(), t["output_sqnr_db"].get<double>()).c_str(),
        m->energy_pj / 1e6,
        (m->design + (p.points.size() > 1 ? " on " + point_text(p, m->point) : "")).c_str());
  };
  std::string fams;
  for (const Family& f : p.families)
    fams += (fams.empty() ? "" : ", ") + f.label() + " " + json(f.bits).dump();
  std::printf(
      "%s on %s: %zu PE-array layers, widths %s, compensations %s; float top-1 %.2f %% "
      "(validation), %.2f %% (test)\n",
      p.w.net.name.c_str(), p.w.dataset.name.c_str(), p.layers.size(), fams.c_str(),
      json(p.families.front().comps).dump().c_str(), 100 * s.uniform[0].top1, 100 * test[0].top1);
  line("chosen (mixed)", s.chosen);
  if (s.best_fixed_mixed != s.chosen) line("best fixed mixed", s.best_fixed_mixed);
  line("best uniform", s.best_uniform);
  line("best uniform fixed", s.best_uniform_fixed);
  std::size_t verified = 0;
  for (const auto& v : s.verified)
    verified += v.size();
  auto ratio = [&](const char* k) {
    return j[k].is_null() ? std::string("-") : two_decimals(j[k].get<double>() * 100) + " %";
  };
  std::printf(
      "  energy vs best uniform %s, vs best fixed-point mixed %s; proxy error: energy %.1f %%, "
      "output SQNR %.1f dB (worst of %zu verified)\n",
      ratio("energy_vs_best_uniform").c_str(), ratio("energy_vs_best_fixed_mixed").c_str(),
      100 * j["proxy_error"]["energy_worst_relative"].get<double>(),
      j["proxy_error"]["output_sqnr_worst_db"].get<double>(), verified);
  if (j["cheapest"]["is"] == "best_uniform") {
    std::printf(
        "  cheapest overall: the best uniform design, %s of the chosen mix's energy (a mix runs on "
        "a PE that holds every format of its family)\n",
        (two_decimals(100 * j["cheapest"]["energy_pj"].get<double>() / s.chosen->energy_pj) + " %")
            .c_str());
  }
  std::printf("  files %s/{optimize.json, sensitivity.csv, candidates.csv} (%.1f s)\n",
              out_dir.c_str(), j["seconds"].get<double>());
}

// The sensitivity of every layer of every family at every narrower width (first accelerator):
// the JSON rows and the CSV.
std::pair<json, std::string> sensitivity_table(const Problem& p, const Search& s) {
  json rows = json::array();
  std::string csv =
      "family,layer,format,bits,compensation,top1,output_sqnr_db,energy_pj,energy_delta_pj\n";
  for (const Family& f : p.families) {
    const double base = at(s.sens, single_layer_spec(p, f, 0, -1), 0).energy_pj;
    for (std::size_t l = 0; l < p.layers.size(); ++l) {
      for (int k = 0; k < f.options(); ++k) {
        if (k == f.top_option()) continue;
        const Measured& m = at(s.sens, single_layer_spec(p, f, l, k), 0);
        const double delta = m.energy_pj - base;
        const std::string comp = f.comps[static_cast<std::size_t>(f.comp(k))];
        rows.push_back({{"family", f.name},
                        {"layer", p.layers[l]},
                        {"format", f.formats[static_cast<std::size_t>(f.format_index(k))].second},
                        {"bits", f.width(k)},
                        {"compensation", comp},
                        {"top1", m.top1},
                        {"output_sqnr_db", m.output_sqnr_db},
                        {"energy_pj", m.energy_pj},
                        {"energy_delta_pj", delta}});
        std::ostringstream row;
        row << f.name << ',' << p.layers[l] << ','
            << f.formats[static_cast<std::size_t>(f.format_index(k))].second << ',' << f.width(k)
            << ',' << comp << ',' << m.top1 << ',' << m.output_sqnr_db << ',' << m.energy_pj << ','
            << delta << '\n';
        csv += row.str();
      }
    }
  }
  return {rows, csv};
}

// Every verified front point with its proxy figures (JSON rows and CSV), and the proxy's worst
// errors against them.
json verified_table(const Problem& p, const Search& s, std::string& csv) {
  json cands = json::array();
  csv =
      "family,design,proxy_output_sqnr_db,proxy_energy_pj,top1,output_sqnr_db,energy_pj,"
      "meets_budget\n";
  double worst_energy = 0, worst_noise_db = 0;
  for (std::size_t f = 0; f < p.families.size(); ++f) {
    for (const auto& [i, m] : s.verified[f]) {
      const FormatChoice& c = s.front[f][i];
      const double pe = c.energy;
      const double pn_db = -10 * std::log10(s.base_noise[f] + c.error);
      worst_energy = std::max(worst_energy, std::abs(pe / m.energy_pj - 1));
      worst_noise_db = std::max(worst_noise_db, std::abs(pn_db - m.output_sqnr_db));
      json row = measured_json(p, m);
      row["family"] = p.families[f].name;
      row["formats"] = formats_text(p, p.families[f], c);
      row["proxy_energy_pj"] = pe;
      row["proxy_output_sqnr_db"] = pn_db;
      cands.push_back(row);
      std::ostringstream line;
      line << p.families[f].name << ",\"" << m.design << "\"," << pn_db << ',' << pe << ','
           << m.top1 << ',' << m.output_sqnr_db << ',' << m.energy_pj << ','
           << (m.meets ? "true" : "false") << '\n';
      csv += line.str();
    }
  }
  return {{"rows", cands},
          {"proxy_error",
           {{"energy_worst_relative", worst_energy}, {"output_sqnr_worst_db", worst_noise_db}}}};
}

// 4. optimize.json, sensitivity.csv, candidates.csv and the summary on stdout.
void report(const OptimizeOptions& o, const Problem& p, const Search& s,
            const std::vector<Measured>& test, double seconds) {
  auto on_test = [&](const Measured* m) -> json {
    if (!m) return nullptr;
    for (const Measured& t : test)
      if (t.design == m->design && t.point == m->point) {
        json on = measured_json(p, t);
        on["energy_pj"] = m->energy_pj;  // simulated once, on the workload's own input
        return json{{"validation", measured_json(p, *m)}, {"test", on}};
      }
    return nullptr;
  };
  json j;
  j["workload"] = p.w.net.name;
  j["dataset"] = {{"name", p.w.dataset.name},
                  {"calibration", p.validation.calibration.text()},
                  {"validation", p.validation.evaluation.text()},
                  {"sensitivity", sqnr_range(p).text()},
                  {"test", p.test.evaluation.text()},
                  {"output_sqnr_images", p.validation.sqnr_images}};
  j["budget"] = p.top1_budget ? json{{"max_top1_drop_points", 100 * p.max_top1_drop},
                                     {"margin_z", p.margin_z}}
                              : json{{"min_output_sqnr_db", p.min_output_sqnr}};
  j["families"] = json::array();
  for (std::size_t f = 0; f < p.families.size(); ++f) {
    const Family& fam = p.families[f];
    std::vector<std::string> formats;
    for (const auto& [b, n] : fam.formats)
      formats.push_back(n);
    j["families"].push_back({{"family", fam.name},
                             {"bits", fam.bits},
                             {"formats", formats},
                             {"compensations", fam.comps},
                             {"widest_pe", fam.pe_spec(fam.top())},
                             {"front_points", s.front[f].size()}});
  }
  j["float_top1"] = {{"validation", s.uniform[0].top1}, {"test", test[0].top1}};
  const auto [sens, sens_csv] = sensitivity_table(p, s);
  j["sensitivity"] = sens;
  json uniform = json::array();
  for (const std::string& u : s.uniform_specs) {
    for (std::size_t q = 0; q < p.points.size(); ++q)
      uniform.push_back(measured_json(p, at(s.uniform, u, q)));
  }
  j["uniform"] = uniform;
  std::string cand_csv;
  const json verified = verified_table(p, s, cand_csv);
  j["verified"] = verified["rows"];
  j["proxy_error"] = verified["proxy_error"];
  j["chosen"] = on_test(s.chosen);
  j["best_fixed_mixed"] = on_test(s.best_fixed_mixed);
  j["best_uniform"] = on_test(s.best_uniform);
  j["best_uniform_fixed"] = on_test(s.best_uniform_fixed);
  auto ratio = [&](const Measured* m) -> json {
    return m ? json(s.chosen->energy_pj / m->energy_pj) : json(nullptr);
  };
  j["energy_vs_best_uniform"] = ratio(s.best_uniform);
  j["energy_vs_best_uniform_fixed"] = ratio(s.best_uniform_fixed);
  // The ELP_BSD contribution: the best design of any family over the best fixed-point-only mix
  // (1 when that is the best; null when the fixed family was not searched or met no budget).
  j["energy_vs_best_fixed_mixed"] = ratio(s.best_fixed_mixed);
  // The cheapest design meeting the budget of all measured: the chosen mix, or a uniform design
  // on a PE of its own format alone (elp3v2's one-term PE, say) that undercuts every mix, whose
  // PEs hold every format their family may give a layer.
  const bool uniform_cheaper = s.best_uniform && s.best_uniform->energy_pj < s.chosen->energy_pj;
  const Measured* cheapest = uniform_cheaper ? s.best_uniform : s.chosen;
  j["cheapest"] = {{"is", uniform_cheaper ? "best_uniform" : "chosen"},
                   {"design", cheapest->design},
                   {"energy_pj", cheapest->energy_pj}};
  j["seconds"] = seconds;
  ResultDir out(o.common.out_dir);
  write_file_atomic(out.staging() + "/optimize.json", j.dump(1) + "\n");
  write_file_atomic(out.staging() + "/sensitivity.csv", sens_csv);
  write_file_atomic(out.staging() + "/candidates.csv", cand_csv);
  out.commit();
  print_summary(p, s, j, test, o.common.out_dir);
}

}  // namespace

int cmd_optimize(const std::vector<std::string>& args) {
  OptimizeOptions o;
  if (!parse_optimize_options(args, o)) return kExitOk;
  const auto t0 = std::chrono::steady_clock::now();
  const Problem p = make_problem(o);
  Search s;
  sensitivity(o, p, s);
  verify(o, p, s);
  choose(p, s);
  // The chosen design and the ones it is compared with, once on the test images.
  const Measured* own_pe = nullptr;  // the configured PE's uniform design
  for (const Measured& u : s.uniform)
    if (u.design == "fixed") own_pe = &u;
  std::vector<AccuracyVariant> finals;
  std::set<std::string> seen;
  for (const Measured* m : std::vector<const Measured*>{
           s.chosen, s.best_fixed_mixed, s.best_uniform, s.best_uniform_fixed, own_pe}) {
    if (m && seen.insert(m->design).second) finals.push_back(variant_of(o, p, m->design));
  }
  const std::vector<Measured> test = measure(o, p, p.test, finals, false, "test");
  report(o, p, s, test, seconds_since(t0));
  return kExitOk;
}

}  // namespace conloc
