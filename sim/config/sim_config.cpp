#include "sim/config/sim_config.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "modules/arith/elp_lut_format.h"
#include "modules/arith/lp_bsd.h"
#include "modules/base/error.h"
#include "modules/memory/dram_tech.h"
#include "sim/common/file_io.h"
#include "sim/common/text.h"
#include "sim/config/scalesim_cfg.h"

#ifndef CONLOCNN_SOURCE_DIR
#define CONLOCNN_SOURCE_DIR "."
#endif

namespace conloc {

namespace fs = std::filesystem;

// Each dataflow's config value and its name for people, in the enum's order.
constexpr const char* kDataflowNames[][2] = {
    {"ws", "weight-stationary"}, {"os", "output-stationary"}, {"is", "input-stationary"}};
const char* to_string(Dataflow d) {
  return kDataflowNames[static_cast<int>(d)][0];
}
const char* long_name(Dataflow d) {
  return kDataflowNames[static_cast<int>(d)][1];
}
// Each mapping objective's config value, in the enum's order.
constexpr const char* kObjectiveNames[] = {"energy", "latency", "edp"};
const char* to_string(MappingObjective o) {
  return kObjectiveNames[static_cast<int>(o)];
}

const char* to_string(Compensation c) {
  switch (c) {
    case Compensation::None:
      return "none";
    case Compensation::ErrorFeedback:
      return "error_feedback";
    case Compensation::OutputConstant:
      return "output_constant";
    case Compensation::Both:
      return "both";
  }
  return "?";
}

namespace {
constexpr Compensation kCompensations[] = {Compensation::None, Compensation::ErrorFeedback,
                                           Compensation::OutputConstant, Compensation::Both};
}  // namespace

std::optional<Compensation> parse_compensation(const std::string& name) {
  for (const Compensation c : kCompensations)
    if (name == to_string(c)) return c;
  return std::nullopt;
}

std::string compensation_names() {
  std::string n;
  for (const Compensation c : kCompensations)
    n += (n.empty() ? "" : ", ") + std::string(to_string(c));
  return n;
}

int DesignConfig::elp_code_bits() const {
  return elp_v2 ? elp_v2->code_bits : elp.code_bits();
}

const std::string& DesignConfig::elp_name() const {
  return elp_v2 ? elp_v2->name : elp.name;
}

int DesignConfig::weight_code_bits() const {
  return mac == MacKind::ElpBsd ? elp_code_bits() : fixed_weight_bits;
}

DesignConfig DesignConfig::for_layer(const std::string& layer) const {
  for (const LayerFormat& f : layer_formats) {
    if (f.layer != layer) continue;
    DesignConfig d = *this;
    if (f.elp_v2) {
      d.elp_pe = elp_v2;
      d.elp_v2 = f.elp_v2;
    } else {
      d.fixed_datapath_bits = fixed_weight_bits;
      d.fixed_weight_bits = f.fixed_bits;
    }
    if (f.compensation) d.compensation = *f.compensation;
    d.layer_formats.clear();
    return d;
  }
  return *this;
}

std::optional<ElpLutParams> fixed_on_loadable(int b, const ElpLutParams& pe) {
  if (b < 3 || b > pe.code_bits) return std::nullopt;
  ElpLutParams f{"fixed" + std::to_string(b), b, pe.terms, pe.positions, false, {}, 0.0};
  for (std::int32_t m = 1; m < (1 << (b - 1)); ++m) {
    if (signed_digit_form(m, pe.positions, pe.terms).empty()) return std::nullopt;
    f.magnitudes.push_back(m);
  }
  return f;
}

namespace {

// The formats a layer may take on the PE `pe`, for errors: fixed2 .. fixed<D> on a fixed-point
// PE; on a loadable-decoder ELP_BSD v2 PE the v2 presets its code width, terms and positions hold,
// and the fixed-point widths whose level sets it holds.
std::vector<std::string> formats_on(const DesignConfig& pe) {
  std::vector<std::string> out;
  if (pe.mac == MacKind::FixedPoint) {
    for (int b = 2; b <= pe.fixed_weight_bits; ++b)
      out.push_back("fixed" + std::to_string(b));
  } else if (pe.elp_v2 && pe.elp_v2->per_layer) {
    for (const ElpLutParams& f : ElpLutFormat::presets()) {
      if (f.code_bits <= pe.elp_v2->code_bits && f.terms <= pe.elp_v2->terms &&
          f.positions <= pe.elp_v2->positions)
        out.push_back(f.name);
    }
    for (int b = 3; b <= pe.elp_v2->code_bits; ++b)
      if (fixed_on_loadable(b, *pe.elp_v2)) out.push_back("fixed" + std::to_string(b));
  }
  return out;
}

}  // namespace

std::vector<LayerFormat> parse_layer_formats(const std::string& text, const std::string& source,
                                             const DesignConfig& pe) {
  const std::string key = "design.layer_formats";
  std::vector<LayerFormat> out;
  if (text.empty()) return out;
  const std::vector<std::string> allowed = formats_on(pe);
  if (allowed.empty()) {
    throw_field_error(source, key,
                      "per-layer formats need a PE that runs several: a fixed-point PE "
                      "(design.mac = \"fixed\") or an ELP_BSD v2 PE with a loadable decoder, "
                      "but the design is " +
                          pe.elp_name(),
                      json_brief(text), "a fixed<b> or elp<b>v2l design, or leave it empty");
  }
  std::string list;
  for (const std::string& f : allowed)
    list += (list.empty() ? "" : ", ") + f;
  const std::string expected = "\"LAYER=FORMAT[/COMPENSATION],...\" with FORMAT one of " + list;
  for (const std::string& raw : split_list(text)) {
    const std::string item = trim(raw);
    const std::size_t eq = item.find('=');
    LayerFormat f;
    f.layer = eq == std::string::npos ? "" : trim(item.substr(0, eq));
    f.format = eq == std::string::npos ? "" : trim(item.substr(eq + 1));
    if (f.layer.empty() || f.format.empty()) {
      throw_field_error(source, key, "\"" + item + "\" is not LAYER=FORMAT", json_brief(text),
                        expected);
    }
    if (const std::size_t slash = f.format.find('/'); slash != std::string::npos) {
      const std::string comp = trim(f.format.substr(slash + 1));
      f.format = trim(f.format.substr(0, slash));
      f.compensation = parse_compensation(comp);
      if (!f.compensation) {
        throw_field_error(source, key,
                          "layer " + f.layer + ": \"" + comp + "\" is not a compensation",
                          json_brief(text),
                          "FORMAT/COMPENSATION with COMPENSATION one of " + compensation_names());
      }
    }
    if (std::find(allowed.begin(), allowed.end(), f.format) == allowed.end()) {
      throw_field_error(
          source, key,
          "layer " + f.layer + ": \"" + f.format + "\" is not a format the " +
              (pe.mac == MacKind::FixedPoint ? "fixed" + std::to_string(pe.fixed_weight_bits)
                                             : pe.elp_name()) +
              " PE runs",
          json_brief(text), expected);
    }
    if (pe.mac == MacKind::FixedPoint) {
      f.fixed_bits = std::stoi(f.format.substr(5));
    } else if (f.format.rfind("fixed", 0) == 0) {
      f.elp_v2 = fixed_on_loadable(std::stoi(f.format.substr(5)), *pe.elp_v2);
    } else {
      f.elp_v2 = ElpLutFormat::preset(f.format).params();
    }
    for (const LayerFormat& seen : out) {
      if (seen.layer == f.layer) {
        throw_field_error(source, key, "layer " + f.layer + " is named twice", json_brief(text),
                          "each layer once");
      }
    }
    out.push_back(std::move(f));
  }
  return out;
}

std::string data_dir() {
  if (const char* env = std::getenv("CONLOCNN_DATA_DIR"); env != nullptr && *env != '\0')
    return env;
  // Beside the executable: an installed tree (PREFIX/bin/conlocnn-sim with its data in
  // PREFIX/share/conlocnn), or the build folder of a source tree (TREE/build/conlocnn-sim), so a
  // copied or moved tree reads its own configs, not the ones it was built from.
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    for (const fs::path& d : {exe.parent_path().parent_path() / "share" / "conlocnn",
                              exe.parent_path().parent_path()}) {
      if (fs::is_directory(d / "configs" / "energy", ec)) return d.string();
    }
  }
  return CONLOCNN_SOURCE_DIR;
}

std::string fnv1a_hex(const std::string& text) {
  std::uint64_t h = 0xcbf29ce484222325ull;  // the FNV-1a 64 offset basis and prime
  for (unsigned char c : text) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  return hex64(h);
}

namespace {

ParamSpec int_param(std::string path, std::int64_t def, std::string unit, std::string desc,
                    double min, double max, bool power_of_two = false) {
  ParamSpec p;
  p.path = std::move(path);
  p.kind = ParamKind::Int;
  p.default_value = def;
  p.unit = std::move(unit);
  p.description = std::move(desc);
  p.min = min;
  p.max = max;
  p.power_of_two = power_of_two;
  return p;
}

ParamSpec real_param(std::string path, double def, std::string unit, std::string desc, double min,
                     double max) {
  ParamSpec p = int_param(std::move(path), 0, std::move(unit), std::move(desc), min, max);
  p.kind = ParamKind::Real;
  p.default_value = def;
  return p;
}

ParamSpec choice_param(std::string path, std::string def, std::string desc,
                       std::vector<std::string> choices) {
  ParamSpec p;
  p.path = std::move(path);
  p.kind = ParamKind::Choice;
  p.default_value = std::move(def);
  p.unit = "-";
  p.description = std::move(desc);
  p.choices = std::move(choices);
  return p;
}

ParamSpec string_param(std::string path, std::string def, std::string desc) {
  ParamSpec p = choice_param(std::move(path), std::move(def), std::move(desc), {});
  p.kind = ParamKind::String;
  return p;
}

// A parameter whose default, "auto", is derived from others (its description says how).
ParamSpec auto_param(ParamSpec p) {
  p.may_be_auto = true;
  p.default_value = "auto";
  return p;
}

}  // namespace

const ParamRegistry& sim_params() {
  static const ParamRegistry kRegistry = [] {
    auto elp_choices = ElpBsdFormat::preset_names();
    for (const auto& v2 : ElpLutFormat::presets())
      elp_choices.push_back(v2.name);
    elp_choices.push_back("custom");
    std::vector<ParamSpec> s = {
        real_param("clock_ghz", 1.0, "GHz", "Accelerator clock; converts cycles to latency.", 0.001,
                   10.0),
        int_param("array.rows", 16, "PEs",
                  "PE array rows (WS and IS: reduction dim; OS: output pixels).", 1, 1024),
        int_param("array.cols", 16, "PEs",
                  "PE array columns (WS and OS: output channels; IS: output pixels).", 1, 1024),
        choice_param("array.dataflow", "ws",
                     "ws = weight-stationary, os = output-stationary, is = input-stationary "
                     "systolic dataflow.",
                     {"ws", "os", "is"}),
        int_param("array.accumulator_entries", 0, "psums",
                  "Accumulator storage per array column (WS, TPU-style): partial sums of all row "
                  "folds of up to this many output pixels stay next to the array and reach the "
                  "output buffer once; 0 = none, every row fold read-modify-writes the output "
                  "buffer (docs/timing.md).",
                  0, 1 << 20),
        choice_param("array.fold_timing", "used",
                     "used = a fold takes T + its used rows + used cols - 2 cycles, weight loads "
                     "hidden by double buffering; scalesim = SCALE-Sim v2's compute model: full "
                     "rows and cols every fold, each WS fold also loads its weights (rows cycles) "
                     "(docs/timing.md).",
                     {"used", "scalesim"}),
        choice_param("mapping.search", "full",
                     "How each conv / fc layer's loop order and tile sizes are chosen: full = the "
                     "candidate of least mapping.objective, costed in closed form (branch and "
                     "bound: the same choice as costing every one); greedy = bands outer, the "
                     "largest tiles that fit, "
                     "accumulators whenever present (the rule before the mapper) "
                     "(docs/mapping.md).",
                     {"full", "greedy"}),
        choice_param("mapping.objective", "edp",
                     "What the mapper minimises per layer: energy, latency, or their product.",
                     {"energy", "latency", "edp"}),
        choice_param("mapping.order", "any",
                     "Tile loop order: any = the mapper chooses per layer; bands_outer = an input "
                     "band serves every output-channel tile; ntiles_outer = an output-channel "
                     "tile's weights serve every band.",
                     {"any", "bands_outer", "ntiles_outer"}),
        choice_param("mapping.fusion", "none",
                     "The most a schedule may fuse (each level includes the one before): none = "
                     "every layer reads its inputs from DRAM and writes its output there; "
                     "residency = a tensor may stay in the activation SRAM from its producer to "
                     "its last consumer, which read it in place, where the mapper finds that "
                     "cheaper (docs/mapping.md, \"Residency\"); fused-stage = a conv / fc "
                     "layer's output stage also applies the element-wise or pooling layer that "
                     "alone consumes its output (a residual add, an activation, a max pooling; "
                     "NVDLA SDP / PDP-style), so that tensor never leaves the array "
                     "(\"Fusion\"); depth-first = also chains of layers run band by band of the "
                     "last one's output, the tensors between them held in windows of the "
                     "activation SRAM and never whole, where the mapper finds the chain cheaper "
                     "(\"Depth-first\"; a batch image by image).",
                     {"none", "residency", "fused-stage", "depth-first"}),
        choice_param("mapping.buffering", "double",
                     "How conv / fc layers use the weight buffer, activation SRAM and output "
                     "buffer: double = each in two halves, a tile's loads and write-backs "
                     "overlapping the compute of the tile before; any = the mapper may also use "
                     "any of them whole for a layer (single-buffered: tiles up to twice the "
                     "size, fewer DRAM re-reads, loads and write-backs no longer overlapping "
                     "compute) where mapping.objective finds it cheaper (docs/mapping.md, "
                     "\"Single buffering\").",
                     {"double", "any"}),
        choice_param("design.mac", "elp",
                     "MAC design `run` simulates: ELP_BSD shift-add or fixed-point multiplier. "
                     "`compare` runs both.",
                     {"elp", "fixed"}),
        choice_param("design.elp.format", "elp5",
                     "ELP_BSD preset: elp4..elp8 (v1 field layout), elp3v2..elp8v2 (v2: level sets "
                     "chosen for Laplace weights, table-decoded), elp3v2l..elp8v2l (v2, a level "
                     "set per layer; docs/elp_bsd.md) or `custom` to use the four fields below "
                     "(v1 layout).",
                     elp_choices),
        auto_param(int_param("design.elp.terms", 0, "terms",
                             "Custom format, or to change a v2 preset's: non-zero digits per "
                             "weight (k). auto: the v2 preset's own, 2 for a custom format.",
                             1, 3)),
        auto_param(int_param("design.elp.shift_bits", 0, "bits",
                             "Custom format only: width of the base-shift field P. auto: 2.", 1,
                             4)),
        auto_param(int_param("design.elp.gap_bits", 0, "bits",
                             "Custom format only: width of each gap field G (0 when terms = 1). "
                             "auto: 1.",
                             0, 4)),
        auto_param(real_param(
            "design.elp.term_price", 0.0, "-",
            "A v2 preset's level search: price per shift-add term of the level a weight rounds "
            "to, against its squared error (Laplace(0, 1) units): 0 = the most accurate set, more "
            "= fewer two-term levels and cheaper MACs (docs/elp_bsd.md); the name then ends in "
            "p<price>. auto: the preset's own.",
            0.0, 100.0)),
        auto_param(string_param(
            "design.elp.levels", "",
            "A v2 preset's magnitudes given explicitly instead of searched: ascending, "
            "comma-separated, 2^(b-1) - 1 of them, each at most k non-zero digits at positions "
            "below N (e.g. \"1,2,3,4,6,8,12\" for elp4v2); the design's name then ends in c. "
            "auto: the preset's own level set.")),
        auto_param(int_param("design.elp.positions", 0, "digits",
                             "Custom format, or to change a v2 preset's (the design's name then "
                             "ends in n<N>, k<k> for terms): digit positions N a term may "
                             "occupy. auto: the v2 preset's own, 8 for a custom format.",
                             2, 16)),
        choice_param("design.elp.mac", "parallel",
                     "ELP_BSD MAC variant: all terms per cycle, or one term per cycle.",
                     {"parallel", "serial"}),
        int_param("design.fixed.weight_bits", 8, "bits", "Fixed-point design's weight width.", 2,
                  16),
        string_param(
            "design.layer_formats", "",
            "Layers whose weights use another format, run on the design's PE "
            "(docs/optimize.md): \"LAYER=FORMAT,...\", FORMAT fixed2 .. the fixed-point "
            "design's width (sign-extended into the PE's multiplier), or on an ELP_BSD "
            "v2 design with a loadable decoder (elp3v2l..elp8v2l) a v2 preset its "
            "datapath holds, or fixed3 .. fixed6 where its terms hold the integers (the "
            "layer's level set loaded into the decoder). Weights are "
            "stored and moved at their own width. Empty: every layer the design's format."),
        int_param("design.activation_bits", 8, "bits",
                  "Activation width (uniform, calibrated per tensor); activations occupy and move "
                  "as this many bits in the buffers and DRAM.",
                  2, 8),
        int_param("design.accumulator_bits", 32, "bits",
                  "Accumulator width; overflow wraps (two's complement); partial sums occupy and "
                  "move as this many bits in the output buffer.",
                  8, 32),
        choice_param("design.weight_scale", "per_channel",
                     "Weight scale granularity for both designs.", {"per_channel", "per_tensor"}),
        choice_param("design.scale_search", "mse",
                     "Weight scale choice: max = max|w| on the top level, mse = least-error of 16 "
                     "candidates, mse_pow2 = least-error power of two.",
                     {"max", "mse", "mse_pow2"}),
        choice_param("design.compensation", "output_constant",
                     "Weight-error compensation (docs/compensation.md), applied offline at no "
                     "run-time cost.",
                     {"none", "error_feedback", "output_constant", "both"}),
        choice_param("design.activation_calibration", "minmax",
                     "How activation scales are calibrated (docs/accuracy.md): minmax = the "
                     "largest magnitude seen, percentile = design.activation_percentile of the "
                     "magnitudes (clips rare outliers).",
                     {"minmax", "percentile"}),
        real_param("design.activation_percentile", 99.99, "%",
                   "Percentile of activation magnitudes mapped to the top level when "
                   "design.activation_calibration = percentile.",
                   50.0, 100.0),
        int_param("buffers.weight_kib", 64, "KiB",
                  "Encoded weight buffer capacity (two halves, double-buffered; whole for a layer "
                  "under mapping.buffering = any).",
                  1, 1 << 20),
        int_param("buffers.activation_kib", 64, "KiB",
                  "Activation SRAM capacity (two halves, as buffers.weight_kib).", 1, 1 << 20),
        int_param("buffers.output_kib", 64, "KiB",
                  "Output / partial-sum buffer capacity (two halves, as buffers.weight_kib).", 1,
                  1 << 20),
        int_param("buffers.weight_port_bytes", 64, "B/cycle",
                  "Width of each weight-buffer bank's port to the PE array; the array's weight "
                  "stream gets port x banks bytes per cycle, or the tile waits (port_stall_cycles, "
                  "docs/timing.md).",
                  1, 65536),
        int_param("buffers.activation_port_bytes", 64, "B/cycle",
                  "Width of each activation-SRAM bank's port to the PE array.", 1, 65536),
        int_param("buffers.output_port_bytes", 128, "B/cycle",
                  "Width of each output-buffer bank's port (partial-sum reads and writes).", 1,
                  65536),
        int_param("buffers.weight_banks", 1, "banks",
                  "Weight-buffer banks: multiply the port bandwidth; an access is charged the "
                  "energy of one bank (an SRAM of capacity / banks); leakage is the whole "
                  "capacity's.",
                  1, 64, true),
        int_param("buffers.activation_banks", 1, "banks",
                  "Activation-SRAM banks (as weight_banks).", 1, 64, true),
        int_param("buffers.output_banks", 1, "banks", "Output-buffer banks (as weight_banks).", 1,
                  64, true),
        choice_param(
            "dram.technology", "gddr6",
            "DRAM energy per bit (and, with dram.bytes_per_cycle = auto, its "
            "bandwidth at clock_ghz): a technology with its cited figures (docs/energy.md; gddr6: "
            "Micron's 7.5 pJ/bit, 64 GB/s per device), or table = the energy table's "
            "dram_per_bit.",
            dram_technology_choices()),
        auto_param(real_param("dram.bytes_per_cycle", 0.0, "B/cycle",
                              "DRAM bandwidth at the accelerator clock. auto: the technology's "
                              "(gddr6 at 1 GHz: 64), 16 with dram.technology = table.",
                              0.01, 4096.0)),
        int_param("dram.latency_cycles", 100, "cycles", "DRAM access latency per transaction.", 0,
                  100000),
        int_param("dram.burst_bytes", 64, "B",
                  "DMA burst size (the unit DRAM bus time is booked in).", 4, 65536, true),
        int_param("dram.max_outstanding", 32, "bursts",
                  "Bursts one DMA engine keeps in flight (enough to cover the latency).", 1, 4096),
        int_param("vector.lanes", 16, "lanes",
                  "Vector unit lanes (pooling, residual add, activations).", 1, 4096),
        string_param("energy.table", "horowitz45-cacti-toggles",
                     "Energy table: a name in configs/energy/ or a path to a JSON file."),
        int_param("sim.quantum_cycles", 1000, "cycles", "TLM global quantum (temporal decoupling).",
                  1, 1000000000),
        int_param("sim.seed", 1, "-", "Seed for synthetic weights and inputs.", 0, 2147483647),
        int_param("workload.batch", 1, "images",
                  "Inputs per run: each layer runs on the whole batch before the next, and a tile "
                  "holds several images (the mapping's choice), so a loaded weight block serves "
                  "them all (docs/timing.md). Results per batch and per inference.",
                  1, 1024),
        int_param("sim.timing_weight_sample", 16384, "weights",
                  "Workloads without input data (SCALE-Sim topology or GEMM lists) with "
                  "parallel-term or fixed-point MACs quantize at most this many weights per "
                  "layer (whole output channels, evenly spaced, at least 8) and scale the MAC "
                  "statistics up (docs/timing.md); 0 = every weight. Networks with data quantize "
                  "every weight in every mode.",
                  0, 1000000000),
    };
    return ParamRegistry(std::move(s));
  }();
  return kRegistry;
}

namespace {

std::string str(const ResolvedParams& p, const std::string& k) {
  return p.at(k).get<std::string>();
}
std::int64_t num(const ResolvedParams& p, const std::string& k) {
  return p.at(k).get<std::int64_t>();
}

// A v2 preset's parameters with the changes the configuration makes to it (design.elp.terms,
// positions, term_price, levels); the name then says what changed (n<N>, k<k>, p<price>, c).
ElpLutParams v2_design(const ResolvedParams& p, const std::string& fmt) {
  ElpLutParams v = ElpLutFormat::preset(fmt).params();
  std::string changed, src;  // the name says which parameters differ from the preset's
  for (const char* k : {"design.elp.terms", "design.elp.positions"}) {
    if (p.is_auto(k)) continue;
    const int value = static_cast<int>(num(p, k));
    const bool terms = std::string(k) == "design.elp.terms";
    int& field = terms ? v.terms : v.positions;
    if (value != field) changed += (terms ? "k" : "n") + std::to_string(value);
    field = value;
    src = p.source_of(k);
  }
  if (!p.is_auto("design.elp.term_price")) {
    const double price = p.at("design.elp.term_price").get<double>();
    if (price != v.term_price) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "p%g", price);
      changed += buf;
    }
    v.term_price = price;
    src = p.source_of("design.elp.term_price");
  }
  const std::string levels = str(p, "design.elp.levels");
  if (!p.is_auto("design.elp.levels")) {
    src = p.source_of("design.elp.levels");
    if (v.per_layer) {
      throw_field_error(src, "design.elp.levels",
                        "a per-layer preset chooses each layer's set from its weights",
                        "\"" + levels + "\"", "a fixed-set v2 preset (elp3v2..elp8v2)");
    }
    for (const std::string& tok : split_list(levels)) {
      const auto b = tok.find_first_not_of(" "), e = tok.find_last_not_of(" ");
      const std::string t = b == std::string::npos ? "" : tok.substr(b, e - b + 1);
      std::size_t used = 0;
      long long x = 0;
      try {
        x = std::stoll(t, &used);
      } catch (...) {
        used = 0;
      }
      if (t.empty() || used != t.size() || x <= 0 || x > 1000000) {
        throw_field_error(src, "design.elp.levels", "not a list of positive integers",
                          "\"" + t + "\"", "comma-separated magnitudes, e.g. \"1,2,3,4,6,8,12\"");
      }
      v.magnitudes.push_back(static_cast<std::int32_t>(x));
    }
    changed += "c";
  }
  if (!changed.empty()) {
    try {
      ElpLutFormat::cached(v, "design.elp");
    } catch (const UserError& err) {
      throw UserError(src + ": " + err.what());
    }
    v.name += changed;
  }
  return v;
}

std::string resolve_energy_table(const ResolvedParams& p, const std::optional<std::string>& file) {
  const std::string v = str(p, "energy.table");
  if (v.find('/') == std::string::npos && fs::path(v).extension() != ".json") {
    return (fs::path(data_dir()) / "configs" / "energy" / (v + ".json")).string();
  }
  const std::string& origin = p.source_of("energy.table");
  if (file && origin == *file && fs::path(v).is_relative()) {
    return (fs::path(*file).parent_path() / v).string();
  }
  return v;
}

// The ELP_BSD format from design.elp.*: a preset (v1 or v2, with a v2 preset's changes) or the
// custom fields; settings that do not belong to the format are refused.
void resolve_elp_format(SimConfig& c) {
  const auto& p = c.params;
  const std::string fmt = str(p, "design.elp.format");
  const char* custom_keys[] = {"design.elp.terms", "design.elp.shift_bits", "design.elp.gap_bits",
                               "design.elp.positions"};
  // ELP_BSD settings that do not fit the format are refused where the ELP_BSD design is the one
  // simulated; a fixed-point design ignores every design.elp.* field, the format included (so
  // `compare --designs elp4v2,fixed4 --set design.elp.positions=8` changes the v2 design only).
  const bool elp_used = str(p, "design.mac") == "elp";
  if (elp_used && !p.is_auto("design.elp.term_price") && !ElpLutFormat::is_preset(fmt)) {
    throw_field_error(p.source_of("design.elp.term_price"), "design.elp.term_price",
                      "only used with a v2 preset, but design.elp.format is \"" + fmt + "\"",
                      json_brief(p.at("design.elp.term_price")),
                      "a v2 preset (elp3v2..elp8v2, elp3v2l..elp8v2l), or leave it unset");
  }
  if (elp_used && !p.is_auto("design.elp.levels") && !ElpLutFormat::is_preset(fmt)) {
    throw_field_error(p.source_of("design.elp.levels"), "design.elp.levels",
                      "only used with a v2 preset, but design.elp.format is \"" + fmt + "\"",
                      json_brief(p.at("design.elp.levels")),
                      "a v2 preset (elp3v2..elp8v2), or leave it unset");
  }
  if (fmt != "custom") {
    const bool v2 = ElpLutFormat::is_preset(fmt);
    for (const char* k : custom_keys) {
      // A v2 preset's terms and positions may be changed (a design-space sweep); the v1 fields
      // belong to custom formats.
      const bool v2_field =
          std::string(k) == "design.elp.terms" || std::string(k) == "design.elp.positions";
      if (elp_used && !p.is_auto(k) && !(v2 && v2_field)) {
        throw_field_error(
            p.source_of(k), k,
            "only used with a custom format" + std::string(v2 ? "" : " or a v2 preset") +
                ", but design.elp.format is \"" + fmt + "\"",
            json_brief(p.at(k)),
            "design.elp.format = \"custom\" or a v2 preset (elp3v2..elp8v2, elp3v2l..elp8v2l), "
            "or leave it unset");
      }
    }
    c.design.elp_v2.reset();
    if (v2) {
      c.design.elp_v2 = v2_design(p, fmt);
      if (c.design.elp_mac == ElpMacVariant::TermSerial) {
        throw_field_error(p.source_of("design.elp.mac"), "design.elp.mac",
                          "the term-serial MAC is modelled for the v1 layout only", "\"serial\"",
                          "\"parallel\" with " + fmt + ", or a v1 preset (elp4..elp8)");
      }
    } else {
      c.design.elp = ElpBsdFormat::preset(fmt).params();
    }
  } else {
    ElpBsdParams e;
    e.name = "custom";
    // A custom format's fields when left auto (the values the schema's descriptions give).
    const auto field = [&](const char* k, int otherwise) {
      return p.is_auto(k) ? otherwise : static_cast<int>(num(p, k));
    };
    e.terms = field("design.elp.terms", 2);
    e.shift_bits = field("design.elp.shift_bits", 2);
    e.gap_bits = field("design.elp.gap_bits", 1);
    e.positions = field("design.elp.positions", 8);
    std::string src = p.source_of("design.elp.terms");
    for (const char* k : custom_keys) {
      if (!p.is_auto(k)) src = p.source_of(k);
    }
    try {
      ElpBsdFormat f(e, "design.elp");
    } catch (const UserError& err) {
      throw UserError(src + ": " + err.what());
    }
    c.design.elp = e;
  }
}

void check_cross_fields(SimConfig& c, const std::optional<std::string>& file) {
  const auto& p = c.params;
  resolve_elp_format(c);
  c.design.layer_formats_source = p.source_of("design.layer_formats");
  c.design.layer_formats =
      parse_layer_formats(str(p, "design.layer_formats"), c.design.layer_formats_source, c.design);

  // The accumulator must hold at least one full-scale product, or every layer would wrap.
  const int elp_top =
      c.design.elp_v2 ? c.design.elp_v2->positions - 1 : ElpBsdFormat(c.design.elp).max_position();
  const int act = c.design.activation_bits + 1;  // unsigned activations need a sign bit
  const int elp_product = act + elp_top + 1;
  const int fixed_product = act + c.design.fixed_weight_bits;
  const int need = std::max(elp_product, fixed_product);
  if (c.design.accumulator_bits < need) {
    throw_field_error(p.source_of("design.accumulator_bits"), "design.accumulator_bits",
                      "narrower than one product of " + std::to_string(c.design.activation_bits) +
                          "-bit activations and the designs' weights (ELP_BSD needs " +
                          std::to_string(elp_product) + ", fixed-point " +
                          std::to_string(fixed_product) + " bits)",
                      std::to_string(c.design.accumulator_bits), ">= " + std::to_string(need));
  }

  // Column accumulators hold partial sums between a weight-stationary array's row folds; an
  // output-stationary array keeps them in its PEs, and SCALE-Sim's fold timing has none.
  if (c.array.accumulator_entries > 0 &&
      (c.array.dataflow != Dataflow::WeightStationary || c.array.scalesim_folds)) {
    const bool os = c.array.dataflow == Dataflow::OutputStationary;
    const bool is = c.array.dataflow == Dataflow::InputStationary;
    throw_field_error(
        p.source_of("array.accumulator_entries"), "array.accumulator_entries",
        os   ? "column accumulators need a weight-stationary array, but "
               "array.dataflow is \"os\" (its PEs keep the partial sums)"
        : is ? "column accumulators are modelled for a weight-stationary array "
               "only, but array.dataflow is \"is\""
             : "column accumulators are not part of SCALE-Sim's fold timing "
               "(array.fold_timing = \"scalesim\")",
        std::to_string(c.array.accumulator_entries),
        os || is ? "0, or array.dataflow = \"ws\"" : "0, or array.fold_timing = \"used\"");
  }

  // An input-stationary PE sees a new weight every step: a term-serial MAC's step length would
  // change with each, which the array model does not time (docs/timing.md).
  if (c.array.dataflow == Dataflow::InputStationary &&
      c.design.elp_mac == ElpMacVariant::TermSerial) {
    throw_field_error(p.source_of("design.elp.mac"), "design.elp.mac",
                      "the term-serial MAC is modelled on weight- and output-stationary arrays "
                      "only, but array.dataflow is \"is\"",
                      "\"serial\"", "\"parallel\", or array.dataflow = \"ws\" or \"os\"");
  }

  // A bus burst must not exceed what the slowest buffer can take in one go: the DMA writes
  // whole bursts into one half of a buffer.
  const std::uint64_t smallest_half =
      std::min({c.buffers.weight_bytes, c.buffers.activation_bytes, c.buffers.output_bytes}) / 2;
  if (c.dram.burst_bytes > smallest_half) {
    throw_field_error(p.source_of("dram.burst_bytes"), "dram.burst_bytes",
                      "larger than half of the smallest buffer (double buffering)",
                      std::to_string(c.dram.burst_bytes), "<= " + std::to_string(smallest_half));
  }

  c.energy_table_path = resolve_energy_table(p, file);
  if (!fs::exists(c.energy_table_path)) {
    throw_field_error(p.source_of("energy.table"), "energy.table", "energy table file not found",
                      "\"" + str(p, "energy.table") + "\" (" + c.energy_table_path + ")",
                      "a name in configs/energy/ or an existing JSON file");
  }
  // A table given by a relative path is kept as an absolute one, so the config.json a run writes
  // names the same table wherever it is read from.
  const std::string table = str(p, "energy.table");
  const bool a_path =
      table.find('/') != std::string::npos || fs::path(table).extension() == ".json";
  if (a_path && fs::path(table).is_relative()) {
    c.params.values["energy.table"] = fs::absolute(c.energy_table_path).lexically_normal().string();
  }
}

void build_typed(SimConfig& c) {
  const auto& p = c.params;
  c.clock_ghz = p.at("clock_ghz").get<double>();
  c.array.rows = static_cast<int>(num(p, "array.rows"));
  c.array.cols = static_cast<int>(num(p, "array.cols"));
  for (Dataflow d :
       {Dataflow::WeightStationary, Dataflow::OutputStationary, Dataflow::InputStationary}) {
    if (str(p, "array.dataflow") == to_string(d)) c.array.dataflow = d;
  }
  c.array.scalesim_folds = str(p, "array.fold_timing") == "scalesim";
  c.array.accumulator_entries = static_cast<int>(num(p, "array.accumulator_entries"));
  c.mapping.search = str(p, "mapping.search") == "full";
  for (const MappingObjective o :
       {MappingObjective::Energy, MappingObjective::Latency, MappingObjective::Edp}) {
    if (str(p, "mapping.objective") == to_string(o)) c.mapping.objective = o;
  }
  c.mapping.order = str(p, "mapping.order");
  const std::string fusion = str(p, "mapping.fusion");
  c.mapping.depth_first = fusion == "depth-first";
  c.mapping.fused_stage = c.mapping.depth_first || fusion == "fused-stage";
  c.mapping.residency = c.mapping.fused_stage || fusion == "residency";
  c.mapping.whole_buffers = str(p, "mapping.buffering") == "any";
  c.design.mac = str(p, "design.mac") == "elp" ? MacKind::ElpBsd : MacKind::FixedPoint;
  c.design.elp_mac =
      str(p, "design.elp.mac") == "parallel" ? ElpMacVariant::Parallel : ElpMacVariant::TermSerial;
  c.design.fixed_weight_bits = static_cast<int>(num(p, "design.fixed.weight_bits"));
  c.design.activation_bits = static_cast<int>(num(p, "design.activation_bits"));
  c.design.accumulator_bits = static_cast<int>(num(p, "design.accumulator_bits"));
  c.design.weight_scale = str(p, "design.weight_scale") == "per_channel"
                              ? ScaleGranularity::PerChannel
                              : ScaleGranularity::PerTensor;
  const std::string search = str(p, "design.scale_search");
  c.design.scale_search = search == "max"   ? ScaleSearch::MaxAbs
                          : search == "mse" ? ScaleSearch::Mse
                                            : ScaleSearch::MsePow2;
  // The registry admits only the choices parse_compensation knows.
  c.design.compensation = *parse_compensation(str(p, "design.compensation"));
  c.design.activation_percentile = str(p, "design.activation_calibration") == "percentile"
                                       ? p.at("design.activation_percentile").get<double>()
                                       : 100.0;
  c.buffers.weight_bytes = static_cast<std::uint64_t>(num(p, "buffers.weight_kib")) * 1024;
  c.buffers.activation_bytes = static_cast<std::uint64_t>(num(p, "buffers.activation_kib")) * 1024;
  c.buffers.output_bytes = static_cast<std::uint64_t>(num(p, "buffers.output_kib")) * 1024;
  const char* names[3] = {"weight", "activation", "output"};
  for (int b = 0; b < 3; ++b) {
    const std::string n = names[b];
    c.buffers.port_bytes[b] = static_cast<int>(num(p, "buffers." + n + "_port_bytes"));
    c.buffers.banks[b] = static_cast<int>(num(p, "buffers." + n + "_banks"));
  }
  c.dram.technology = str(p, "dram.technology");
  // Left auto, the technology's channel bandwidth (its energy per bit is the energy model's:
  // sim/energy/energy_cost.cpp), or 16 B/cycle with the energy table's DRAM.
  if (!p.is_auto("dram.bytes_per_cycle")) {
    c.dram.bytes_per_cycle = p.at("dram.bytes_per_cycle").get<double>();
  } else if (const DramTech* t = find_dram_tech(c.dram.technology)) {
    c.dram.bytes_per_cycle = std::min(4096.0, t->gb_per_s / c.clock_ghz);
  } else {
    c.dram.bytes_per_cycle = 16.0;
  }
  c.dram.latency_cycles = static_cast<std::uint64_t>(num(p, "dram.latency_cycles"));
  c.dram.burst_bytes = static_cast<std::uint32_t>(num(p, "dram.burst_bytes"));
  c.dram.max_outstanding = static_cast<std::uint32_t>(num(p, "dram.max_outstanding"));
  c.vector_lanes = static_cast<int>(num(p, "vector.lanes"));
  c.quantum_cycles = static_cast<std::uint64_t>(num(p, "sim.quantum_cycles"));
  c.seed = static_cast<std::uint64_t>(num(p, "sim.seed"));
  c.batch = static_cast<int>(num(p, "workload.batch"));
  c.timing_weight_sample = static_cast<std::uint64_t>(num(p, "sim.timing_weight_sample"));
}

void finish(SimConfig& c) {
  c.resolved = c.params.to_json();
  c.hash = fnv1a_hex(c.resolved.dump());
}

}  // namespace

SimConfig SimConfig::with(const std::vector<ParamAssignment>& assignments) const {
  const ParamRegistry& reg = sim_params();
  SimConfig c = *this;
  for (const auto& a : assignments)
    reg.merge_value(a.key, a.value, a.source, c.params);
  build_typed(c);
  check_cross_fields(c, c.file);
  finish(c);
  return c;
}

SimConfig load_sim_config(const std::optional<std::string>& file,
                          const std::vector<std::string>& overrides) {
  ConfigInput in;
  in.file = file;
  in.overrides = overrides;
  return load_sim_config(in);
}

SimConfig load_sim_config(const ConfigInput& in) {
  const ParamRegistry& reg = sim_params();
  const std::optional<std::string>& file = in.file;
  SimConfig c;
  if (file) {
    // A SCALE-Sim configuration is read as the config document it translates to.
    const bool scalesim = fs::path(*file).extension() == ".cfg";
    reg.merge_document(
        scalesim ? scalesim_cfg_document(*file) : parse_json_text(read_text_file(*file), *file),
        *file, c.params);
  }
  if (in.document) reg.merge_document(*in.document, in.document_source, c.params);
  for (const auto& o : in.overrides)
    reg.merge_assignment(o, c.params);
  for (const auto& a : in.assignments)
    reg.merge_value(a.key, a.value, a.source, c.params);
  reg.fill_defaults(c.params, file ? *file : "config");
  c.file = file;
  build_typed(c);
  check_cross_fields(c, file);
  finish(c);
  return c;
}

}  // namespace conloc
