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

// An exclusive flock on <root>/.lock (created with the directory if needed), held while the object
// lives: rank 0 holds it for the whole run, so a second ssa-train on the same run directory (a
// requeued job whose first copy still runs, a command started twice) stops with a ConfigError
// naming the holder's pid and host instead of interleaving checkpoints and metrics.
class RunDirLock {
 public:
  explicit RunDirLock(const std::string& root);
  // Throws the same ConfigError if another process holds the lock of an existing `root`, without
  // creating anything: a second run learns of the first before loading its data.
  static void check_free(const std::string& root);
  ~RunDirLock();
  RunDirLock(const RunDirLock&) = delete;
  RunDirLock& operator=(const RunDirLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace ssa::train
