#include "sim/cli/cli.h"

#include <boost/program_options.hpp>
#include <iostream>
#include <map>

#include "modules/base/error.h"

namespace conloc {

namespace {

const char* kUsage =
    "conlocnn-sim: SystemC/TLM-2.0 simulator of CoNLoCNN-style low-precision CNN accelerators\n"
    "\n"
    "usage: conlocnn-sim <command> [options]    (conlocnn-sim <command> --help for details)\n"
    "\n"
    "commands:\n"
    "  run       simulate a workload on the configured accelerator; per-layer cost traces\n"
    "  compare   run several MAC designs side by side (default: ELP_BSD, same-width and 8-bit\n"
    "            fixed point)\n"
    "  sweep     sweep array sizes, buffers, formats, ... from a JSON spec (parallel, resumable)\n"
    "  sweep-merge  merge the output folders of sweep shards into one sweep.csv\n"
    "  formats   weight formats: code width, levels, MAC energy, SQNR\n"
    "  accuracy  top-1 of every weight format and compensation on a real test set, next to\n"
    "            energy per inference\n"
    "  optimize  the cheapest per-layer weight widths that keep an accuracy budget (validation\n"
    "            split), reported on a held-out test split\n"
    "  rtl       a MAC design as Verilog, with co-simulation vectors from the C++ datapath\n"
    "  config    print the parameter schema or a resolved configuration\n"
    "\n"
    "exit codes: 0 success, 2 usage or input error, 1 simulation failure\n";

}  // namespace

int cli_main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {
    std::cerr << kUsage;
    return kExitUsage;
  }
  const std::string cmd = args.front();
  args.erase(args.begin());
  if (cmd == "--help" || cmd == "-h" || cmd == "help") {
    std::cout << kUsage;
    return kExitOk;
  }
  try {
    if (cmd == "config") return cmd_config(args);
    if (cmd == "formats") return cmd_formats(args);
    if (cmd == "run") return cmd_run(args);
    if (cmd == "compare") return cmd_compare(args);
    if (cmd == "sweep") return cmd_sweep(args);
    if (cmd == "sweep-merge") return cmd_sweep_merge(args);
    if (cmd == "accuracy") return cmd_accuracy(args);
    if (cmd == "optimize") return cmd_optimize(args);
    if (cmd == "rtl") return cmd_rtl(args);
    std::cerr << "conlocnn-sim: unknown command '" << cmd << "'\n\n" << kUsage;
    return kExitUsage;
  } catch (const boost::program_options::error& e) {
    std::cerr << "conlocnn-sim " << cmd << ": " << e.what() << " (see conlocnn-sim " << cmd
              << " --help)\n";
    return kExitUsage;
  } catch (const UserError& e) {
    std::cerr << "error: " << e.what() << "\n";
    return kExitUsage;
  } catch (const InternalError& e) {
    std::cerr << "simulator bug: " << e.what() << "\n";
    return kExitSimulationFailure;
  } catch (const std::exception& e) {
    std::cerr << "simulation failed: " << e.what() << "\n";
    return kExitSimulationFailure;
  }
}

}  // namespace conloc
