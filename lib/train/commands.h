// The ssa-train subcommands behind the CLI: train (and resume), check, eval, sample,
// inspect-sampling, config-reference, prepare-data, export, predict. Each returns the
// process exit code; errors propagate as ssa::Error for main to print as one line.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "lib/config/experiment_config.h"
#include "lib/data/prepare_data.h"
#include "lib/train/generation_options.h"

namespace ssa::train {

struct CommandLine {
  std::string config_path;
  std::vector<std::string> overrides;  // "dotted.key=value"
  std::string checkpoint;              // eval: a checkpoint directory or a run directory
  std::string table_path;              // eval: optional markdown table of metric vs samples
  std::string per_example_path;        // eval: optional CSV, one row per scored target
  int64_t layer = 0;                   // inspect-sampling: layer index (0 = first)
  int64_t samples = 1000;              // inspect-sampling: draws to average
  std::string out_path;                // inspect-sampling: CSV output; sample: the image (or text) file
  // sample (lib/train/generation.h):
  std::string prompt = "\n";  // text: the start to continue
  int64_t length = 256;       // text: bytes to generate
  GenerationOptions generation;
  std::string dict_path;  // word-level text: prepare-data's dict.txt
  // export (lib/train/hf_llama.h): checkpoint and out_path above, and
  std::string export_format = "hf";    // hf (a LLaMA-style decoder) or torchvision (ViT, Swin)
  std::string export_dtype = "fp32";   // fp32, bf16 or fp16
  std::string max_shard_size = "5GB";  // Hugging Face's default
  // predict: checkpoint and out_path above, and
  int64_t examples = 16;  // the first validation examples
  // prepare-data (docs/data-preparation.md):
  std::string dataset;  // enwik8 | wikitext-103 | sentencepiece
  std::string input;    // enwik8: the raw file; wikitext-103: its folder; sentencepiece: train text
  data::SentencePieceOptions sentencepiece;  // its train_text is `input`
};

// The experiment of a command that runs it (train, eval, sample, inspect-sampling, predict), its
// resource settings checked against this machine before anything is loaded.
config::ExperimentConfig load_to_run(const CommandLine& cli);

int command_train(const CommandLine& cli);
int command_check(const CommandLine& cli);
int command_eval(const CommandLine& cli);
int command_sample(const CommandLine& cli);
int command_inspect_sampling(const CommandLine& cli);
int command_config_reference(const CommandLine& cli);
int command_prepare_data(const CommandLine& cli);
int command_export(const CommandLine& cli);   // export_command.cpp
int command_predict(const CommandLine& cli);  // predict_command.cpp

}  // namespace ssa::train
