// The whole experiment: one typed struct per component, loaded from YAML plus command-line
// overrides, validated once, and written back as the resolved config of a run.
#pragma once
#include <map>
#include <set>
#include <string>
#include <vector>

#include "lib/data/data_config.h"
#include "lib/config/train_config.h"
#include "models/model_config.h"

namespace ssa::config {

struct ExperimentConfig {
  train::RunConfig run;
  models::ModelConfig model;
  data::DataConfig data;
  train::TrainConfig train;
  train::EvalConfig eval;
  train::CheckpointConfig checkpoint;
  train::LogConfig log;
  train::DistConfig dist;
};

// What the configured model learns from the configured data (model.type x data.dataset).
data::Task task_of(const ExperimentConfig& config);

// Reads `path`, applies `overrides` ("dotted.key=value"), checks every key and rule.
// Throws ConfigError("file:line: dotted.key: problem") on the first problem. With
// model.from_checkpoint, the model section comes from `weights` (a command's --checkpoint) or
// run.init_from (imported_model.h).
ExperimentConfig load_experiment(const std::string& path, const std::vector<std::string>& overrides,
                                 const std::string& weights = "");

// Same, from YAML text (`source_name` appears in messages).
ExperimentConfig parse_experiment(const std::string& yaml_text, const std::string& source_name,
                                  const std::vector<std::string>& overrides = {}, const std::string& weights = "");

// The resolved config as YAML, every key present; parse_experiment() reads it back unchanged.
std::string to_yaml(const ExperimentConfig& config);

// The config key by key, for comparing two configs.
struct FlatConfig {
  std::map<std::string, std::string> values;  // "dotted.key" -> value text
  std::set<std::string> architecture_keys;    // keys whose change makes checkpoints unusable
};
FlatConfig flatten(const ExperimentConfig& config);

// Markdown table of every key (docs/config-reference.md is generated from it).
std::string config_reference_markdown();

}  // namespace ssa::config
