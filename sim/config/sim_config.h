#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "modules/arith/elp_bsd_format.h"
#include "modules/arith/elp_bsd_mac.h"
#include "modules/arith/elp_lut_format.h"
#include "modules/arith/level_quantizer.h"
#include "modules/arith/mac_model.h"
#include "sim/config/param_registry.h"

namespace conloc {

enum class Dataflow { WeightStationary, OutputStationary, InputStationary };
enum class Compensation { None, ErrorFeedback, OutputConstant, Both };

const char* to_string(Dataflow d);  // the config value: ws, os, is
const char* long_name(Dataflow d);  // for people: weight-stationary, ...
const char* to_string(Compensation c);
// The compensation a design.compensation value names, or none for another text; and every value,
// for errors ("none, error_feedback, output_constant, both").
std::optional<Compensation> parse_compensation(const std::string& name);
std::string compensation_names();

struct ArrayConfig {
  int rows = 16;
  int cols = 16;
  Dataflow dataflow = Dataflow::WeightStationary;
  bool scalesim_folds = false;  // array.fold_timing = scalesim
  int accumulator_entries = 0;  // array.accumulator_entries
};

// One layer's weight format on a design's PE (design.layer_formats).
struct LayerFormat {
  std::string layer;
  std::string format;                        // as written: fixed<b> or an ELP_BSD v2 preset's name
  int fixed_bits = 0;                        // fixed<b> on a fixed-point PE
  std::optional<ElpLutParams> elp_v2;        // an ELP_BSD v2 format on a loadable-decoder PE
  std::optional<Compensation> compensation;  // "/COMPENSATION": the layer's own
};

// Fixed point of b bits as a level set of the loadable-decoder PE `pe` (design.layer_formats):
// the magnitudes 1 .. 2^(b-1) - 1 in the PE's digit form, or nothing when one of them needs more
// signed digits or a higher position than the PE has (b-bit integers need up to ceil(b / 2)
// digits: fixed4 fits a two-term PE, fixed5 and fixed6 a three-term one). 3 bits at least: the v2
// code's index field.
std::optional<ElpLutParams> fixed_on_loadable(int b, const ElpLutParams& pe);

struct DesignConfig {
  MacKind mac = MacKind::ElpBsd;
  ElpBsdParams elp;                    // resolved v1 preset or custom parameters
  std::optional<ElpLutParams> elp_v2;  // set when design.elp.format is a v2 preset (elp<b>v2)
  ElpMacVariant elp_mac = ElpMacVariant::Parallel;
  int fixed_weight_bits = 8;
  // design.layer_formats: the layers whose weights use another format than the PE's own, in the
  // order written (docs/optimize.md). In the design of such a layer (for_layer): the PE it runs
  // on, a fixed-point multiplier of fixed_datapath_bits its weights are sign-extended to (0 = the
  // weights'), or the ELP_BSD v2 loadable-decoder PE elp_pe its codes index.
  std::vector<LayerFormat> layer_formats;
  std::string layer_formats_source;  // where design.layer_formats was given, for errors
  int fixed_datapath_bits = 0;
  std::optional<ElpLutParams> elp_pe;
  int activation_bits = 8;
  int accumulator_bits = 32;
  ScaleGranularity weight_scale = ScaleGranularity::PerChannel;
  ScaleSearch scale_search = ScaleSearch::Mse;
  Compensation compensation = Compensation::OutputConstant;
  // Percentile of activation magnitudes that calibration maps to the top level; 100 = min/max.
  double activation_percentile = 100.0;

  // Bits of one stored weight of the design that is simulated.
  int weight_code_bits() const;
  // The ELP_BSD design's code width and name, whichever layout it uses.
  int elp_code_bits() const;
  const std::string& elp_name() const;
  // The design layer `layer`'s weights are compiled for: this one, or its layer_formats entry's
  // format on this design's PE.
  DesignConfig for_layer(const std::string& layer) const;
};

// design.layer_formats' text ("LAYER=FORMAT[/COMPENSATION],..."), checked against the PE `pe` (a
// fixed-point design: fixed2 .. its width; an ELP_BSD v2 design with a loadable decoder: the v2
// presets its datapath holds; COMPENSATION a design.compensation value): errors name `source`
// and the key. Layer names are checked against the network
// by the compiler.
std::vector<LayerFormat> parse_layer_formats(const std::string& text, const std::string& source,
                                             const DesignConfig& pe);

enum class MappingObjective { Energy, Latency, Edp };
const char* to_string(MappingObjective o);  // the config value: energy, latency, edp

// How the mapper chooses each conv layer's loop order and tile sizes (docs/mapping.md).
struct MappingConfig {
  bool search = true;  // mapping.search = full; false = greedy (the largest tiles that fit)
  MappingObjective objective = MappingObjective::Edp;
  std::string order = "any";  // mapping.order: any, bands_outer or ntiles_outer
  // mapping.fusion, the most a schedule may use (each level includes the ones before it):
  // residency = a tensor may stay in the activation SRAM for its consumers (docs/mapping.md,
  // "Residency"); fused-stage = also a conv / fc layer's output stage applies the element-wise
  // or pooling layer that alone consumes its output ("Fusion"); none: every tensor via DRAM.
  bool residency = false;
  bool fused_stage = false;
  // depth-first = also chains of layers run band by band, the tensors between them never whole
  // ("Depth-first").
  bool depth_first = false;
  // mapping.buffering = any: a conv / fc layer may use a buffer whole, single-buffered, where
  // mapping.objective finds it cheaper (docs/mapping.md, "Single buffering"); double = never.
  bool whole_buffers = false;
};

struct BufferConfig {
  std::uint64_t weight_bytes = 0;
  std::uint64_t activation_bytes = 0;
  std::uint64_t output_bytes = 0;
  // Per buffer (weight, activation, output): each bank's port width to the PE array, and banks.
  int port_bytes[3] = {64, 64, 128};
  int banks[3] = {1, 1, 1};
};

struct DramConfig {
  std::string technology = "table";  // dram.technology
  double bytes_per_cycle = 16.0;
  std::uint64_t latency_cycles = 100;
  std::uint32_t burst_bytes = 64;
  std::uint32_t max_outstanding = 32;
};

// One parameter set from somewhere other than a file or --set (a sweep axis); `source` names it
// in errors, e.g. "spec.json: axes.array.rows[2]".
struct ParamAssignment {
  std::string key;
  nlohmann::json value;
  std::string source;
};

// The fully validated configuration. Components receive this (or a part of it), never JSON.
struct SimConfig {
  double clock_ghz = 1.0;
  ArrayConfig array;
  DesignConfig design;
  BufferConfig buffers;
  DramConfig dram;
  MappingConfig mapping;
  int vector_lanes = 16;
  std::string energy_table_path;  // resolved path of the energy table file
  std::uint64_t quantum_cycles = 1000;
  std::uint64_t seed = 1;
  int batch = 1;                               // workload.batch: inputs per run
  std::uint64_t timing_weight_sample = 16384;  // weights per layer a compile without data quantizes

  ResolvedParams params;    // every parameter with its origin
  nlohmann::json resolved;  // nested JSON written as config.json
  std::string hash;         // FNV-1a 64 of the resolved JSON, hex

  std::optional<std::string> file;  // the config file it was loaded from, if any

  // The same configuration with `assignments` applied on top, validated like a fresh load (a
  // named design of `compare --designs`, say).
  SimConfig with(const std::vector<ParamAssignment>& assignments) const;
};

const ParamRegistry& sim_params();

// Layers of a configuration, applied in this order: a file, an inline document (a sweep spec's
// base), --set assignments, then JSON-valued assignments.
struct ConfigInput {
  std::optional<std::string> file;
  std::optional<nlohmann::json> document;
  std::string document_source;
  std::vector<std::string> overrides;
  std::vector<ParamAssignment> assignments;
};

// Loads the layers, fills defaults, and checks cross-field rules. Every error is a UserError
// naming the file (or --set, or the assignment's source) and the field. Relative paths in a file
// (energy.table) are relative to that file.
SimConfig load_sim_config(const ConfigInput& in);
SimConfig load_sim_config(const std::optional<std::string>& file,
                          const std::vector<std::string>& overrides);

// Directory holding configs/ and workloads/: env CONLOCNN_DATA_DIR; else beside the executable
// (an install's PREFIX/share/conlocnn, or the source tree the build folder is in); else the
// source tree the binary was built from.
std::string data_dir();

// FNV-1a 64 of `text` as 16 hex digits: configuration and sweep-spec hashes, and the key a MAC
// characterisation is looked up by (scripts/toggle_energy.py computes the same).
std::string fnv1a_hex(const std::string& text);

}  // namespace conloc
