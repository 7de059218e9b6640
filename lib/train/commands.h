// The ssa-train subcommands behind the CLI: train (and resume), check, eval. Each returns the
// process exit code; errors propagate as ssa::Error for main to print as one line.
#pragma once
#include <string>
#include <vector>

namespace ssa::train {

struct CommandLine {
  std::string config_path;
  std::vector<std::string> overrides;  // "dotted.key=value"
  std::string checkpoint;              // eval only: a checkpoint directory or a run directory
};

int command_train(const CommandLine& cli);
int command_check(const CommandLine& cli);
int command_eval(const CommandLine& cli);
int command_config_reference(const CommandLine& cli);

}  // namespace ssa::train
