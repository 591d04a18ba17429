#include <filesystem>
#include <iostream>
#include <memory>
#include <set>

#include "modules/base/error.h"
#include "sim/cli/options.h"
#include "sim/common/file_io.h"
#include "sim/config/sim_config.h"
#include "sim/design/design_registry.h"
#include "sim/energy/energy_model.h"
#include "sim/rtl/mac_rtl.h"
#include "sim/rtl/mac_stream.h"
#include "sim/run/prepare.h"
#include "sim/workload/workload.h"

namespace conloc {

// `rtl --design NAME --out DIR`: the design's MAC as Verilog, its port README and co-simulation
// vectors from the C++ datapath (docs/rtl.md).
int cmd_rtl(const std::vector<std::string>& args) {
  CommonOptions common;
  std::string design;
  std::vector<std::string> streams;
  po::options_description desc("rtl options");
  add_common_options(desc, common, true);
  desc.add_options()(
      "design", po::value<std::string>(&design),
      "MAC design: fixed2..fixed16, elp4..elp8, elp3v2..elp8v2, elp3v2l..elp8v2l, elp (the "
      "configured; design.elp.mac=serial for term-serial)")(
      "stream", po::value<std::vector<std::string>>(&streams),
      "WORKLOAD:LAYER (repeatable): also write the operand stream 64 weight-stationary PEs of "
      "that layer see, as stream-LAYER.txt (activity-based energy, docs/rtl.md)");
  po::variables_map vm;
  if (!parse_options("rtl", "--design NAME [--config F] [--set k=v]... --out DIR", desc, args,
                     vm)) {
    return kExitOk;
  }
  if (common.out_dir.empty()) {
    throw UserError(field_error("--out", "", "missing", "", "a folder for conloc_mac.v"));
  }
  const SimConfig cfg =
      design.empty() ? load_sim_config(common.config_file, common.overrides)
                     : load_design_config(common.config_file, common.overrides, design, "--design");
  const MacRtl rtl = generate_mac_rtl(cfg);
  // Never mix with other files: the folder is new, or empty, or an earlier rtl output.
  namespace fs = std::filesystem;
  if (fs::exists(common.out_dir)) {
    if (!fs::is_directory(common.out_dir)) {
      throw UserError(field_error("--out", "", "exists and is not a folder", common.out_dir));
    }
    for (const auto& e : fs::directory_iterator(common.out_dir)) {
      const std::string n = e.path().filename().string();
      if (n != "conloc_mac.v" && n != "README.md" && n != "vectors.txt" && n != "table.txt" &&
          n != "values.txt" && n.rfind("stream-", 0) != 0) {
        throw UserError(field_error("--out", "", "folder holds other files", e.path().string(),
                                    "a new or empty folder, or an earlier rtl output"));
      }
    }
  }
  std::uint64_t vectors = 0;
  const std::string text = mac_test_vectors(cfg, cfg.seed, &vectors);
  write_file_atomic(common.out_dir + "/conloc_mac.v", rtl.verilog);
  write_file_atomic(common.out_dir + "/README.md", rtl.readme);
  write_file_atomic(common.out_dir + "/vectors.txt", text);
  // An earlier design's table and values are never left beside these.
  for (const auto& [name, text] :
       {std::pair{"table.txt", &rtl.table}, {"values.txt", &rtl.values}}) {
    if (!text->empty()) {
      write_file_atomic(common.out_dir + "/" + name, *text);
    } else if (fs::exists(common.out_dir + "/" + name)) {
      fs::remove(common.out_dir + "/" + name);
    }
  }
  std::unique_ptr<EnergyModel> em;  // loaded once, when a stream needs the model's energies
  std::set<std::string> layers;     // each stream's file is named after its layer
  for (const std::string& spec : streams) {
    if (!em) em = std::make_unique<EnergyModel>(EnergyTable::load(cfg.energy_table_path));
    const auto colon = spec.rfind(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == spec.size()) {
      throw UserError(field_error("--stream", "", "not WORKLOAD:LAYER", "\"" + spec + "\"",
                                  "e.g. workloads/fmnist_cnn/network.json:conv2"));
    }
    const std::string layer = spec.substr(colon + 1);
    if (!layers.insert(layer).second) {
      throw UserError(field_error("--stream", "", "two streams of layers named the same", layer,
                                  "distinct layer names in one run (stream-LAYER.txt each)"));
    }
    const Workload w = load_workload(spec.substr(0, colon), cfg.seed);
    int li = -1;
    for (std::size_t i = 0; i < w.net.layers.size(); ++i)
      if (w.net.layers[i].name == layer) li = static_cast<int>(i);
    if (li < 0 || !w.net.layers[static_cast<std::size_t>(li)].on_pe_array()) {
      throw UserError(field_error("--stream", "", "no conv or fc layer of that name", layer,
                                  "a PE-array layer of " + w.net.name));
    }
    const CompiledNetwork cn = prepare_network(w, cfg, false);
    std::uint64_t n = 0;
    const std::string s =
        mac_operand_stream(cn, li, cfg.array.rows, 64, *em, mac_circuit_fnv1a64(cfg), &n);
    write_file_atomic(common.out_dir + "/stream-" + layer + ".txt", s);
    std::cout << "  stream-" << layer << ".txt: " << n << " operations of 64 PEs of " << w.net.name
              << "\n";
  }
  std::cout << rtl.design << ": " << common.out_dir << "/conloc_mac.v (a "
            << rtl.activation_operand_bits << " bits, code " << rtl.code_bits
            << " bits, accumulator " << rtl.accumulator_bits << " bits";
  if (rtl.serial) std::cout << ", term-serial";
  if (!rtl.table.empty()) {
    std::cout << ", decoder table " << rtl.table_entries << " x " << rtl.table_word_bits << " bits";
  }
  std::cout << "), README.md, vectors.txt (" << vectors << " vectors)"
            << (rtl.table.empty() ? "" : ", table.txt, values.txt") << "\n";
  return kExitOk;
}

}  // namespace conloc
