// ssa-train: the command line. Parses arguments, runs one subcommand, turns errors into one
// line on stderr and a documented exit code (docs/exit-codes.md).
#include <cstdio>
#include <exception>

#include <CLI/CLI.hpp>

#include "lib/core/error.h"
#include "lib/core/log.h"
#include "lib/dist/launch_env.h"
#include "lib/train/build_info.h"
#include "lib/train/commands.h"

namespace {

// "[rank r/w] " in a job of several processes, so interleaved error lines say whose they are;
// "" for one process, or when the message already names the rank (distributed errors do).
std::string rank_prefix(const std::string& message) {
  try {
    const auto launch = ssa::dist::discover_launch();
    if (launch.world_size == 1 || message.rfind("rank ", 0) == 0) return "";
    return "[rank " + std::to_string(launch.rank) + "/" + std::to_string(launch.world_size) + "] ";
  } catch (const std::exception&) {  // an inconsistent launch environment is the error itself
    return "";
  }
}

int fail(const char* kind, const std::string& message, ssa::ExitCode code) {
  std::fprintf(stderr, "ssa-train: %s: %s%s\n", kind, rank_prefix(message).c_str(), message.c_str());
  return static_cast<int>(code);
}

int run_guarded(int (*command)(const ssa::train::CommandLine&), const ssa::train::CommandLine& cli) {
  try {
    return command(cli);
  } catch (const ssa::Error& e) {
    return fail("error", e.what(), e.code());
  } catch (const c10::Error& e) {
    return fail("internal error", e.what_without_backtrace(), ssa::ExitCode::kInternal);
  } catch (const std::exception& e) {
    return fail("internal error", e.what(), ssa::ExitCode::kInternal);
  }
}

using ssa::train::CommandLine;

// CONFIG.yaml and the dotted.key=value overrides that follow it.
void add_config_arguments(CLI::App& command, CommandLine& cli) {
  command.add_option("config", cli.config_path, "experiment YAML")->required();
  command.add_option("overrides", cli.overrides, "dotted.key=value overrides");
}

CLI::App* add_eval(CLI::App& app, CommandLine& cli) {
  auto* eval = app.add_subcommand("eval", "evaluate a checkpoint on the validation split");
  eval->add_option("--checkpoint", cli.checkpoint, "checkpoint or run directory")->required();
  eval->add_option("--table", cli.table_path, "write metric vs ensemble size as markdown");
  eval->add_option("--per-example", cli.per_example_path,
                   "write one CSV row per scored target: target, dense and ensemble prediction, spread");
  add_config_arguments(*eval, cli);
  return eval;
}

CLI::App* add_sample(CLI::App& app, CommandLine& cli) {
  auto* sample = app.add_subcommand("sample", "generate text or an image from a trained decoder");
  sample->add_option("--checkpoint", cli.checkpoint, "checkpoint or run directory")->required();
  sample->add_option("--prompt", cli.prompt, "text: the start to continue (default: a newline)");
  sample->add_option("--length", cli.length, "text: bytes (or words) to generate")->check(CLI::PositiveNumber);
  sample->add_option("--temperature", cli.generation.temperature, "softmax temperature; 0 = greedy")
      ->check(CLI::NonNegativeNumber);
  sample->add_option("--top-k", cli.generation.top_k, "draw among the k most likely tokens; 0 = all")
      ->check(CLI::NonNegativeNumber);
  sample->add_option("--seed", cli.generation.seed, "seed of the draws");
  sample->add_option("--dict", cli.dict_path, "word-level text: the dict.txt of prepare-data");
  sample->add_option("--out", cli.out_path, "pixels: the image (.pgm / .ppm); text: a file instead of stdout");
  add_config_arguments(*sample, cli);
  return sample;
}

CLI::App* add_inspect_sampling(CLI::App& app, CommandLine& cli) {
  auto* inspect = app.add_subcommand("inspect-sampling", "export a layer's source-sampling probabilities");
  inspect
      ->add_option("--layer", cli.layer, "layer index, 0 = first (decoder layer, or Swin block counted over all stages)")
      ->required();
  inspect->add_option("--samples", cli.samples, "draws to average")->check(CLI::PositiveNumber);
  inspect->add_option("--out", cli.out_path, "CSV: row = target, column = source")->required();
  add_config_arguments(*inspect, cli);
  return inspect;
}

CLI::App* add_prepare_data(CLI::App& app, CommandLine& cli) {
  auto* prepare = app.add_subcommand("prepare-data", "downloaded corpus -> token files + manifest.json");
  prepare->add_option("dataset", cli.dataset, "enwik8, wikitext-103 or sentencepiece")
      ->required()
      ->check(CLI::IsMember({"enwik8", "wikitext-103", "sentencepiece"}));
  prepare
      ->add_option("--input", cli.input,
                   "enwik8: the raw 100,000,000-byte file; wikitext-103: folder of wiki.*.tokens; "
                   "sentencepiece: training text")
      ->required();
  prepare->add_option("--out", cli.out_path, "output directory")->required();
  prepare->add_option("--valid", cli.sentencepiece.valid_text, "sentencepiece: validation text to encode");
  prepare->add_option("--test", cli.sentencepiece.test_text, "sentencepiece: test text to encode");
  prepare->add_option("--model", cli.sentencepiece.model, "sentencepiece: encode with this .model (no training)");
  prepare->add_option("--vocab-size", cli.sentencepiece.vocab_size, "sentencepiece: vocabulary to train")
      ->check(CLI::Range(int64_t{8}, int64_t{1} << 30));
  prepare->add_option("--model-type", cli.sentencepiece.model_type, "sentencepiece: unigram, bpe, char or word")
      ->check(CLI::IsMember({"unigram", "bpe", "char", "word"}));
  return prepare;
}

CLI::App* add_export(CLI::App& app, CommandLine& cli) {
  auto* out = app.add_subcommand(
      "export", "write a LLaMA-style decoder as a Hugging Face directory, a ViT or Swin as a torchvision file");
  out->add_option("--checkpoint", cli.checkpoint, "checkpoint, run, Hugging Face directory or torchvision file")->required();
  out->add_option("--format", cli.export_format,
                  "hf (LlamaForCausalLM) or torchvision (VisionTransformer, SwinTransformer)")
      ->check(CLI::IsMember({"hf", "torchvision"}));
  out->add_option("--out", cli.out_path,
                  "hf: the new directory; torchvision: the new FILE.safetensors (FILE.json beside it)")
      ->required();
  out->add_option("--dtype", cli.export_dtype, "fp32, bf16 or fp16")->check(CLI::IsMember({"fp32", "bf16", "fp16"}));
  out->add_option("--max-shard-size", cli.max_shard_size, "shard above this size, e.g. 5GB (the default), 500MB");
  add_config_arguments(*out, cli);
  return out;
}

CLI::App* add_predict(CLI::App& app, CommandLine& cli) {
  auto* predict = app.add_subcommand("predict", "save dense predictions on validation examples with their inputs");
  predict->add_option("--checkpoint", cli.checkpoint, "checkpoint, run, Hugging Face directory or torchvision file")
      ->required();
  predict->add_option("--out", cli.out_path, "the new .safetensors file (input, target, prediction)")->required();
  predict->add_option("--examples", cli.examples, "the first N validation examples (default 16)")->check(CLI::PositiveNumber);
  add_config_arguments(*predict, cli);
  return predict;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "ssa-train: train transformers with Stochastically Subsampled self-Attention.\n"
      "  ssa-train CONFIG.yaml [key=value ...]   train, or resume in the same run directory\n"
      "  ssa-train check CONFIG.yaml [key=value ...]\n"
      "  ssa-train eval CONFIG.yaml --checkpoint PATH [--table FILE.md] [--per-example FILE.csv] [key=value ...]\n"
      "  ssa-train sample CONFIG.yaml --checkpoint PATH [--prompt TEXT] [--length N] [--out FILE]\n"
      "  ssa-train inspect-sampling CONFIG.yaml --layer K --samples N --out FILE.csv\n"
      "  ssa-train prepare-data enwik8|wikitext-103|sentencepiece --input PATH --out DIR\n"
      "  ssa-train export CONFIG.yaml --checkpoint PATH --out DIR [--dtype fp32|bf16|fp16] [--max-shard-size 5GB]\n"
      "  ssa-train export CONFIG.yaml --checkpoint PATH --format torchvision --out FILE.safetensors\n"
      "  ssa-train predict CONFIG.yaml --checkpoint PATH --out FILE.safetensors [--examples N]"};
  CommandLine train_cli, check_cli, eval_cli, sample_cli, inspect_cli, prepare_cli, export_cli, predict_cli;
  bool verbose = false;
  app.add_flag("-v,--verbose", verbose, "debug logging");
  app.set_version_flag("--version", ssa::train::build_description());
  app.add_option("config", train_cli.config_path, "experiment YAML")->required(false);
  app.add_option("overrides", train_cli.overrides, "dotted.key=value overrides");
  auto* check = app.add_subcommand("check", "validate the config and build the model");
  add_config_arguments(*check, check_cli);
  auto* eval = add_eval(app, eval_cli);
  auto* sample = add_sample(app, sample_cli);
  auto* inspect = add_inspect_sampling(app, inspect_cli);
  auto* prepare = add_prepare_data(app, prepare_cli);
  auto* export_weights = add_export(app, export_cli);
  auto* predict = add_predict(app, predict_cli);
  auto* reference = app.add_subcommand("config-reference", "print every config key as markdown");
  app.require_subcommand(0, 1);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);
    std::fprintf(stderr, "ssa-train: error: %s (see ssa-train --help)\n", e.what());
    return static_cast<int>(ssa::ExitCode::kConfig);
  }
  ssa::log::init_console(verbose);
  if (*check) return run_guarded(ssa::train::command_check, check_cli);
  if (*eval) return run_guarded(ssa::train::command_eval, eval_cli);
  if (*sample) return run_guarded(ssa::train::command_sample, sample_cli);
  if (*inspect) return run_guarded(ssa::train::command_inspect_sampling, inspect_cli);
  if (*prepare) return run_guarded(ssa::train::command_prepare_data, prepare_cli);
  if (*export_weights) return run_guarded(ssa::train::command_export, export_cli);
  if (*predict) return run_guarded(ssa::train::command_predict, predict_cli);
  if (*reference) return run_guarded(ssa::train::command_config_reference, {});
  if (train_cli.config_path.empty()) {
    std::fprintf(stderr, "ssa-train: error: no config given (see ssa-train --help)\n");
    return static_cast<int>(ssa::ExitCode::kConfig);
  }
  return run_guarded(ssa::train::command_train, train_cli);
}
