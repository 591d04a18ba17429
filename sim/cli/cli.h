#pragma once

#include <optional>
#include <string>
#include <vector>

namespace conloc {

// Exit codes shared by every subcommand.
constexpr int kExitOk = 0;
constexpr int kExitSimulationFailure = 1;
constexpr int kExitUsage = 2;

// Entry point of `conlocnn-sim`: dispatches to a subcommand and maps errors to exit codes.
int cli_main(int argc, char** argv);

// Options every simulating subcommand takes.
struct CommonOptions {
  std::optional<std::string> config_file;
  std::vector<std::string> overrides;
  std::string out_dir;
};

int cmd_config(const std::vector<std::string>& args);
int cmd_formats(const std::vector<std::string>& args);
int cmd_run(const std::vector<std::string>& args);
int cmd_compare(const std::vector<std::string>& args);
int cmd_sweep(const std::vector<std::string>& args);
int cmd_sweep_merge(const std::vector<std::string>& args);
int cmd_accuracy(const std::vector<std::string>& args);
int cmd_optimize(const std::vector<std::string>& args);
int cmd_rtl(const std::vector<std::string>& args);

}  // namespace conloc
