// The ssa-train subcommands behind the CLI: train (and resume), check, eval,
// inspect-sampling, config-reference. Each returns the
// process exit code; errors propagate as ssa::Error for main to print as one line.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace ssa::train {

struct CommandLine {
  std::string config_path;
  std::vector<std::string> overrides;  // "dotted.key=value"
  std::string checkpoint;              // eval: a checkpoint directory or a run directory
  std::string table_path;              // eval: optional markdown table of metric vs samples
  int64_t layer = 0;                   // inspect-sampling: layer index (0 = first)
  int64_t samples = 1000;              // inspect-sampling: draws to average
  std::string out_path;                // inspect-sampling: CSV output
};

int command_train(const CommandLine& cli);
int command_check(const CommandLine& cli);
int command_eval(const CommandLine& cli);
int command_inspect_sampling(const CommandLine& cli);
int command_config_reference(const CommandLine& cli);

}  // namespace ssa::train
