#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <sstream>

#include "modules/base/error.h"
#include "sim/accuracy/accuracy.h"
#include "sim/cli/options.h"
#include "sim/common/file_io.h"
#include "sim/common/heap.h"
#include "sim/common/result_dir.h"
#include "sim/common/stopwatch.h"
#include "sim/common/text.h"
#include "sim/config/sim_config.h"
#include "sim/design/design_registry.h"
#include "sim/energy/energy_model.h"
#include "sim/reference/inference.h"
#include "sim/report/comparison.h"
#include "sim/report/run_report.h"
#include "sim/run/pipeline.h"
#include "sim/run/prepare.h"
#include "sim/workload/onnx_import.h"
#include "sim/workload/workload.h"

namespace conloc {

namespace {

struct RunOptions {
  CommonOptions common;
  std::string workload = "resnet18";
  std::string design;                 // run: a design name
  std::string designs;                // compare: comma-separated design names
  int image = -1;                     // not given
  std::string calibration, data_dir;  // calibrate on dataset images instead of the input
  std::string input_shape;            // an ONNX model's input dimensions
  int batch = 0;                      // --batch: workload.batch (0: not given)
  bool timing_only = false;
};

bool parse_run_options(const std::string& cmd, const std::vector<std::string>& args, RunOptions& o,
                       bool with_design) {
  po::options_description desc(cmd + " options");
  add_common_options(desc, o.common, true);
  desc.add_options()("workload", po::value<std::string>(&o.workload),
                     "built-in network name, or a .json network, .csv topology or GEMM list, or "
                     ".onnx model (default: resnet18)")(
      "batch", po::value<int>(&o.batch),
      "inputs per run, as --set workload.batch=N: results per batch and per inference")(
      "input-shape", po::value<std::string>(&o.input_shape),
      "an ONNX model's input dimensions in its own order, e.g. 1,3,48,192 (dynamic ones must be "
      "set)")("timing-only", po::bool_switch(&o.timing_only),
              "skip the values: timing, traffic and energy only (fast sweeps)")(
      "image", po::value<int>(&o.image),
      "input image index, for workloads that ship images (default 0)")(
      "calibration", po::value<std::string>(&o.calibration),
      "calibrate on dataset images (M = the first M training images, or SPLIT:A-B) instead of "
      "the input image; workloads that name a dataset only")(
      "data-dir", po::value<std::string>(&o.data_dir),
      "dataset folder (default: where Debian installs it)");
  if (with_design) {
    desc.add_options()("design", po::value<std::string>(&o.design),
                       "MAC design: elp, fixed, elp4..elp8[-serial], elp3v2..elp8v2, "
                       "elp3v2l..elp8v2l, fixed2..fixed16, each optionally with "
                       "@design.KEY=VALUE or @mapping.KEY=VALUE settings");
  } else {
    desc.add_options()("designs", po::value<std::string>(&o.designs),
                       "comma-separated designs, the last is the baseline (default: the "
                       "configured ELP_BSD design, fixed point of its code width, and the "
                       "configured fixed-point design)");
  }
  po::variables_map vm;
  if (!parse_options(cmd,
                     "[--config F] [--set k=v]... [--workload NAME|FILE]" +
                         std::string(with_design ? " [--design NAME]" : " [--designs A,B,...]") +
                         " [--timing-only] [--out DIR]",
                     desc, args, vm)) {
    return false;
  }
  if (vm.count("image") && o.image < 0) {
    throw UserError(
        field_error("--image", "", "out of range", std::to_string(o.image), "an image index >= 0"));
  }
  if (vm.count("batch")) o.common.overrides.push_back("workload.batch=" + std::to_string(o.batch));
  // A file workload is named by its stem: out/run-mobilenet_v1, not a nested copy of its path.
  if (o.common.out_dir.empty()) {
    o.common.out_dir = "out/" + cmd + "-" + std::filesystem::path(o.workload).stem().string();
  }
  return true;
}

std::string human(double v, const char* unit) {
  const char* prefixes[] = {"", "k", "M", "G", "T"};
  int i = 0;
  while (std::abs(v) >= 1000 && i < 4) {
    v /= 1000;
    ++i;
  }
  char b[64];
  std::snprintf(b, sizeof b, "%.3g %s%s", v, prefixes[i], unit);
  return b;
}

std::string energy_text(double pj) {
  char b[64];
  if (pj >= 1e9) {
    std::snprintf(b, sizeof b, "%.3g mJ", pj * 1e-9);
  } else {
    std::snprintf(b, sizeof b, "%.3g uJ", pj * 1e-6);
  }
  return b;
}

void print_summary(const RunResult& r, const std::string& dir, double wall) {
  const SimConfig& cfg = r.config;
  const bool elp = r.mac == MacKind::ElpBsd;
  std::printf(
      "%s on a %dx%d %s array, %s MACs (%s, %d-bit weights%s), %.3g GHz\n", r.workload.c_str(),
      cfg.array.rows, cfg.array.cols, long_name(cfg.array.dataflow),
      elp ? "ELP_BSD shift-add" : "fixed-point", r.design.c_str(), r.code_bits,
      elp ? (cfg.design.elp_mac == ElpMacVariant::Parallel ? ", parallel-term" : ", term-serial")
          : "",
      cfg.clock_ghz);
  if (!cfg.design.layer_formats.empty()) {
    std::string own;
    for (const LayerFormat& f : cfg.design.layer_formats)
      own += (own.empty() ? "" : ", ") + f.layer + " " + f.format +
             (f.compensation ? std::string("/") + to_string(*f.compensation) : "");
    std::printf("  formats   layers in their own format on the %s PE (%s): %s\n", r.design.c_str(),
                cfg.design.mac == MacKind::FixedPoint ? "sign-extended" : "decoder table loaded",
                own.c_str());
  }
  std::printf("  weights   %s\n", r.weight_source.c_str());
  for (const auto& n : r.notes)
    std::printf("  approx    %s\n", n.c_str());
  if (r.weights_quantized < r.weights_total) {
    std::printf(
        "            MAC statistics from a sample: %.1f %% of the weights quantized "
        "(sim.timing_weight_sample; docs/timing.md)\n",
        100.0 * static_cast<double>(r.weights_quantized) / static_cast<double>(r.weights_total));
  }
  if (r.functional) {
    std::printf("  values    %zu layers simulated on integer data; %s\n", r.rows.size(),
                r.mismatches == 0 ? "bit-exact against the integer reference"
                                  : ("MISMATCH: " + std::to_string(r.mismatches) +
                                     " output elements or datapath products differ")
                                        .c_str());
  } else {
    std::printf("  values    not simulated (--timing-only)\n");
  }
  std::printf("  work      %s MACs\n", human(static_cast<double>(r.macs), "").c_str());
  std::printf("  latency   %s cycles (%s stall) = %.4g ms\n",
              human(static_cast<double>(r.cycles), "").c_str(),
              human(static_cast<double>(r.stall_cycles), "").c_str(), r.latency_s * 1e3);
  std::printf("  energy    %s, %.3g pJ/MAC:", energy_text(r.energy_pj).c_str(),
              r.macs ? r.energy_pj / static_cast<double>(r.macs) : 0.0);
  const auto v = r.energy.values();
  for (std::size_t k = 0; k < v.size(); ++k) {
    if (v[k] > 0)
      std::printf(" %s %.1f%%", EnergyBreakdown::component_names()[k].c_str(),
                  100 * v[k] / r.energy_pj);
  }
  const nlohmann::json models = mac_energy_models(r);
  const int layers = models["layers"], characterised = models["characterised"],
            simulated = models["simulated_operands"];
  if (layers > 0) {
    const std::string name = r.energy_table.contains("mac_characterisation")
                                 ? r.energy_table["mac_characterisation"]["name"].get<std::string>()
                                 : std::string("none in this table");
    // Which model priced the MACs, per held weight code from gate-level toggles or per cell, and
    // on which operands (docs/energy.md, "One MAC energy model").
    std::printf(
        "\n  MACs      characterised (%s) in %d of %d PE-array layers, structural in %d;\n"
        "            operands simulated in %d, reference statistics in %d (docs/energy.md)",
        name.c_str(), characterised, layers, layers - characterised, simulated, layers - simulated);
  }
  std::printf(
      "\n  DRAM      %s read, %s written; %.2fx the compulsory %s (weights, input and "
      "output once)\n",
      human(static_cast<double>(r.dram_bytes_read), "B").c_str(),
      human(static_cast<double>(r.dram_bytes_written), "B").c_str(),
      r.dram_compulsory_bytes() ? static_cast<double>(r.dram_bytes_read + r.dram_bytes_written) /
                                      static_cast<double>(r.dram_compulsory_bytes())
                                : 0.0,
      human(static_cast<double>(r.dram_compulsory_bytes()), "B").c_str());
  if (cfg.mapping.fused_stage) {
    std::string unfused;
    for (const std::string& n : r.unfused)
      unfused += (unfused.empty() ? "" : ", ") + n;
    std::printf(
        "  fusion    %zu of %zu fusable layers (element-wise, pooling) in a conv's output "
        "stage%s%s%s\n",
        r.fused_layers(), r.fused_layers() + r.unfused.size(),
        unfused.empty() ? "" : " (cheaper on their own: ", unfused.c_str(),
        unfused.empty() ? "" : ")");
  }
  if (cfg.mapping.residency) {
    std::printf("  residency %zu tensors kept in the activation SRAM for their readers\n",
                r.resident_tensors);
  }
  if (cfg.mapping.depth_first) {
    // Where no group starts, and why (layers.csv says which layers).
    std::printf(
        "  groups    %zu depth-first groups over %zu of %zu layers; none starts at %zu layers "
        "(cheaper one after another), %zu (no band fits the buffers), %zu (one band only), %zu "
        "(leaves another layer no room)\n",
        r.depth_first_groups, r.depth_first_layers, r.rows.size(), r.depth_first_cheaper_alone,
        r.depth_first_no_band_fits, r.depth_first_one_band_only, r.depth_first_leaves_no_room);
  }
  if (cfg.batch > 1) {
    const double b = cfg.batch;
    std::printf(
        "  batch     %d images; per inference: %s cycles, %s, DRAM %s\n", cfg.batch,
        human(static_cast<double>(r.cycles) / b, "").c_str(), energy_text(r.energy_pj / b).c_str(),
        human(static_cast<double>(r.dram_bytes_read + r.dram_bytes_written) / b, "B").c_str());
  }
  std::printf(
      "  wall      %.2f s: load %.2f, compile %.2f%s, plan %.2f, simulate %.2f, write %.2f (%s "
      "simulated MACs/s)\n",
      wall, r.seconds.load, r.seconds.compile, r.seconds.compile_cached ? " (cached)" : "",
      r.seconds.plan, r.seconds.simulate, r.seconds.write,
      human(wall > 0 ? r.macs / wall : 0, "").c_str());
  std::printf(
      "  files     %s/{layers.csv, layers.json, summary.json, config.json, timeline.json,\n"
      "            COMPUTE_REPORT.csv, BANDWIDTH_REPORT.csv, DETAILED_ACCESS_REPORT.csv}\n",
      dir.c_str());
}

// Compiles the workload for each design and runs them side by side in one simulation. A design
// whose layers do not fit the buffers is a user error here (a sweep records it as a row instead).
std::vector<RunResult> run_designs(const RunOptions& o, const std::vector<SimConfig>& cfgs) {
  const SimConfig& base = cfgs.front();
  const auto load_start = std::chrono::steady_clock::now();
  const Workload w =
      load_workload(o.workload, base.seed, o.image,
                    o.input_shape.empty() ? std::vector<std::int64_t>{}
                                          : parse_input_shape(o.input_shape, "--input-shape"));
  const double load_s = seconds_since(load_start);
  const EnergyModel em(EnergyTable::load(base.energy_table_path));
  // --calibration: scales and compensation from dataset images the run does not see; the
  // reference the accelerator is checked against is then the input image's integer inference.
  std::optional<Calibration> calib;
  if (!o.calibration.empty()) {
    if (o.timing_only) {
      throw UserError(field_error("--calibration", "", "a timing-only run calibrates nothing",
                                  o.calibration, "a functional run (no --timing-only)"));
    }
    if (w.dataset.name.empty()) {
      throw UserError(field_error(o.workload, "dataset", "the workload names no dataset", "",
                                  "a trained network JSON with \"dataset\" (docs/accuracy.md)"));
    }
    const Dataset ds = load_dataset(w.dataset.name, o.data_dir);
    const ImageRange r = parse_image_range(o.calibration, "train", ds, "--calibration");
    const ImageSet& set = r.split == "train" ? ds.train : ds.test;
    calib.emplace();
    calib->id = w.dataset.name + " " + r.text();
    for (std::int64_t i = r.begin; i < r.end; ++i)
      calib->images.push_back(normalised_image(set, i, w.dataset));
  }
  std::vector<CompiledNetwork> cns;
  std::vector<double> compile_s;
  for (const SimConfig& cfg : cfgs) {
    const auto t0 = std::chrono::steady_clock::now();
    cns.push_back(prepare_network(w, cfg, !o.timing_only, calib ? &*calib : nullptr));
    compile_s.push_back(seconds_since(t0));
  }
  release_free_memory();
  std::vector<RunRequest> req;
  for (std::size_t i = 0; i < cfgs.size(); ++i) {
    req.push_back({&cfgs[i], &cns[i], !o.timing_only});
    req.back().trace = true;  // timeline.json
  }
  std::vector<RunResult> results = run_simulations(req, em);
  for (std::size_t i = 0; i < results.size(); ++i) {
    if (results[i].infeasible) throw UserError(results[i].infeasible->message());
    results[i].seconds.load = load_s;
    results[i].seconds.compile = compile_s[i];
    results[i].notes = w.notes;
  }
  return results;
}

// Writes a run's files and records how long that took.
void write_outputs(RunResult& r, const std::string& dir) {
  const auto t0 = std::chrono::steady_clock::now();
  write_run_outputs(r, dir);
  r.seconds.write = seconds_since(t0);
}

}  // namespace

int cmd_run(const std::vector<std::string>& args) {
  RunOptions o;
  if (!parse_run_options("run", args, o, true)) return kExitOk;
  const auto t0 = std::chrono::steady_clock::now();
  const SimConfig cfg =
      o.design.empty()
          ? load_sim_config(o.common.config_file, o.common.overrides)
          : load_design_config(o.common.config_file, o.common.overrides, o.design, "--design");
  ResultDir out(o.common.out_dir);
  RunResult r = std::move(run_designs(o, {cfg}).front());
  write_outputs(r, out.staging());
  out.commit();
  print_summary(r, o.common.out_dir, seconds_since(t0));
  if (r.functional && r.mismatches != 0) {
    std::cerr << "simulation failed: accelerator outputs differ from the integer reference (see "
                 "output_mismatches and datapath_mismatches in layers.csv)\n";
    return kExitSimulationFailure;
  }
  return kExitOk;
}

int cmd_compare(const std::vector<std::string>& args) {
  RunOptions o;
  if (!parse_run_options("compare", args, o, false)) return kExitOk;
  const auto t0 = std::chrono::steady_clock::now();
  // 1. The designs: named ones, or the default set; each label once. Each design's configuration
  //    is checked with the overrides (which may only make sense for some designs).
  std::vector<std::string> names;
  if (o.designs.empty()) {
    names = default_comparison(load_sim_config(o.common.config_file, o.common.overrides));
  } else {
    names = split_design_list(o.designs);
  }
  if (names.size() < 2) {
    throw UserError(field_error("--designs", "", "a comparison needs at least two designs",
                                "\"" + o.designs + "\"", "e.g. elp5,fixed5,fixed8"));
  }
  std::vector<SimConfig> cfgs;
  std::vector<std::string> labels;
  for (std::size_t i = 0; i < names.size(); ++i) {
    cfgs.push_back(
        load_design_config(o.common.config_file, o.common.overrides, names[i], "--designs"));
    labels.push_back(design_label(cfgs.back(), parse_design_spec(names[i], "--designs")));
    for (std::size_t j = 0; j < i; ++j) {
      if (labels[j] == labels[i]) {
        throw UserError(
            field_error("--designs", "", "duplicate design",
                        "\"" + names[j] + "\" and \"" + names[i] + "\" are both " + labels[i],
                        "each design once"));
      }
    }
  }
  ResultDir out(o.common.out_dir);
  // 2. Run them side by side; every design's files in its own folder.
  std::vector<RunResult> rs = run_designs(o, cfgs);
  for (std::size_t i = 0; i < rs.size(); ++i)
    write_outputs(rs[i], out.staging() + "/" + design_folder(labels[i]));
  Comparison c = compare_runs(rs, labels);
  if (o.designs.empty()) {
    // The two-design names earlier versions wrote: the ELP_BSD design and the baseline.
    c.json["elp"] = c.json["designs"][labels.front()];
    c.json["fixed"] = c.json["designs"][labels.back()];
  }
  write_file_atomic(out.staging() + "/comparison.csv", c.csv);
  write_file_atomic(out.staging() + "/comparison.json", c.json.dump(2) + "\n");
  out.commit();
  // 3. The table and a summary line per design against the baseline.
  const RunResult& rb = rs.back();
  std::string all, folders;
  for (const auto& l : labels) {
    all += (all.empty() ? "" : ", ") + l;
    folders += ", " + design_folder(l) + "/";
  }
  std::printf("%s: %s on a %dx%d %s array (baseline %s)\n\n", rb.workload.c_str(), all.c_str(),
              cfgs.front().array.rows, cfgs.front().array.cols,
              to_string(cfgs.front().array.dataflow), labels.back().c_str());
  std::printf("%s\n", c.table.c_str());
  bool bit_exact = true;
  for (std::size_t i = 0; i < rs.size(); ++i) {
    const RunResult& r = rs[i];
    std::printf("%-12s latency %.4g ms, energy %s (x%.3f of %s), DRAM read %s\n", labels[i].c_str(),
                r.latency_s * 1e3, energy_text(r.energy_pj).c_str(),
                rb.energy_pj > 0 ? r.energy_pj / rb.energy_pj : 0.0, labels.back().c_str(),
                human(static_cast<double>(r.dram_bytes_read), "B").c_str());
    bit_exact = bit_exact && r.mismatches <= 0;
  }
  if (rb.functional) {
    std::printf("values: %s\n", bit_exact ? "every design bit-exact against its integer reference"
                                          : "MISMATCH against the integer reference");
  }
  std::printf("files: %s/{comparison.csv, comparison.json%s}  (wall %.2f s)\n",
              o.common.out_dir.c_str(), folders.c_str(), seconds_since(t0));
  return bit_exact ? kExitOk : kExitSimulationFailure;
}

}  // namespace conloc
