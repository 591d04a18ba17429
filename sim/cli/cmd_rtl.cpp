#include <filesystem>
#include <iostream>

#include "modules/common/error.h"
#include "sim/cli/options.h"
#include "sim/common/file_io.h"
#include "sim/config/sim_config.h"
#include "sim/quant/design_registry.h"
#include "sim/rtl/mac_rtl.h"

namespace conloc {

// `rtl --design NAME --out DIR`: the design's MAC as Verilog, its port README and co-simulation
// vectors from the C++ datapath (docs/rtl.md).
int cmd_rtl(const std::vector<std::string>& args) {
  CommonOptions common;
  std::string design;
  po::options_description desc("rtl options");
  add_common_options(desc, common, true);
  desc.add_options()("design", po::value<std::string>(&design),
                     "MAC design: fixed2..fixed16, elp4..elp8 (v1 layouts), elp (the configured)");
  po::variables_map vm;
  if (!parse_options("rtl", "--design NAME [--config F] [--set k=v]... --out DIR", desc, args,
                     vm)) {
    return kExitOk;
  }
  if (common.out_dir.empty()) {
    throw UserError(field_error("--out", "", "missing", "", "a folder for conloc_mac.v"));
  }
  SimConfig cfg = load_sim_config(common.config_file, common.overrides);
  if (!design.empty()) cfg = with_design(cfg, design, "--design");
  const MacRtl rtl = generate_mac_rtl(cfg);
  // Never mix with other files: the folder is new, or empty, or an earlier rtl output.
  namespace fs = std::filesystem;
  if (fs::exists(common.out_dir)) {
    if (!fs::is_directory(common.out_dir)) {
      throw UserError(field_error("--out", "", "exists and is not a folder", common.out_dir));
    }
    for (const auto& e : fs::directory_iterator(common.out_dir)) {
      const std::string n = e.path().filename().string();
      if (n != "conloc_mac.v" && n != "README.md" && n != "vectors.txt") {
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
  std::cout << rtl.design << ": " << common.out_dir << "/conloc_mac.v (a "
            << rtl.activation_operand_bits << " bits, code " << rtl.code_bits
            << " bits, accumulator " << rtl.accumulator_bits << " bits), README.md, vectors.txt ("
            << vectors << " vectors)\n";
  return kExitOk;
}

}  // namespace conloc
