// The run directory: config.resolved.yaml, metrics.jsonl, train.log, checkpoints/ and, with
// log.tensorboard, tensorboard/.
// Re-running the same command in the same directory resumes; changing the architecture there
// is refused with the list of differing keys.
#pragma once
#include <string>

#include "lib/config/experiment_config.h"

namespace ssa::train {

struct RunPaths {
  std::string root;
  std::string resolved_config;  // config.resolved.yaml
  std::string metrics;          // metrics.jsonl
  std::string log;              // train.log
  std::string checkpoints;      // checkpoints/
  std::string tensorboard;      // tensorboard/ (event files)
};

// run.dir, or runs/<stem of config_path> when run.dir is empty.
std::string run_dir_for(const config::ExperimentConfig& config, const std::string& config_path);

RunPaths run_paths(const std::string& root);

// Creates the directory, checks a previous resolved config for model changes (ConfigError
// listing them), warns about other changes, and writes the new resolved config.
RunPaths prepare_run_dir(const config::ExperimentConfig& config, const std::string& root);

}  // namespace ssa::train
