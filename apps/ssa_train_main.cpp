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

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"ssa-train: train transformers with Stochastically Subsampled self-Attention.\n"
               "  ssa-train CONFIG.yaml [key=value ...]   train, or resume in the same run directory\n"
               "  ssa-train check CONFIG.yaml [key=value ...]\n"
               "  ssa-train eval CONFIG.yaml --checkpoint PATH [--table FILE.md] [key=value ...]\n"
               "  ssa-train sample CONFIG.yaml --checkpoint PATH [--prompt TEXT] [--length N] [--out FILE]\n"
               "  ssa-train inspect-sampling CONFIG.yaml --layer K --samples N --out FILE.csv\n"
               "  ssa-train prepare-data enwik8|wikitext-103|sentencepiece --input PATH --out DIR"};
  ssa::train::CommandLine train_cli, check_cli, eval_cli, sample_cli, inspect_cli, prepare_cli;
  bool verbose = false;
  app.add_flag("-v,--verbose", verbose, "debug logging");
  app.set_version_flag("--version", ssa::train::build_description());
  app.add_option("config", train_cli.config_path, "experiment YAML")->required(false);
  app.add_option("overrides", train_cli.overrides, "dotted.key=value overrides");

  auto* check = app.add_subcommand("check", "validate the config and build the model");
  check->add_option("config", check_cli.config_path, "experiment YAML")->required();
  check->add_option("overrides", check_cli.overrides, "dotted.key=value overrides");

  auto* eval = app.add_subcommand("eval", "evaluate a checkpoint on the validation split");
  eval->add_option("config", eval_cli.config_path, "experiment YAML")->required();
  eval->add_option("--checkpoint", eval_cli.checkpoint, "checkpoint or run directory")->required();
  eval->add_option("--table", eval_cli.table_path, "write metric vs ensemble size as markdown");
  eval->add_option("overrides", eval_cli.overrides, "dotted.key=value overrides");

  auto* sample = app.add_subcommand("sample", "generate text or an image from a trained decoder");
  sample->add_option("config", sample_cli.config_path, "experiment YAML")->required();
  sample->add_option("--checkpoint", sample_cli.checkpoint, "checkpoint or run directory")->required();
  sample->add_option("--prompt", sample_cli.prompt, "text: the start to continue (default: a newline)");
  sample->add_option("--length", sample_cli.length, "text: bytes (or words) to generate")->check(CLI::PositiveNumber);
  sample->add_option("--temperature", sample_cli.temperature, "softmax temperature; 0 = greedy")
      ->check(CLI::NonNegativeNumber);
  sample->add_option("--top-k", sample_cli.top_k, "draw among the k most likely tokens; 0 = all")
      ->check(CLI::NonNegativeNumber);
  sample->add_option("--seed", sample_cli.seed, "seed of the draws");
  sample->add_option("--dict", sample_cli.dict_path, "word-level text: the dict.txt of prepare-data");
  sample->add_option("--out", sample_cli.out_path, "pixels: the image (.pgm / .ppm); text: a file instead of stdout");
  sample->add_option("overrides", sample_cli.overrides, "dotted.key=value overrides");

  auto* inspect = app.add_subcommand("inspect-sampling", "export a layer's source-sampling probabilities");
  inspect->add_option("config", inspect_cli.config_path, "experiment YAML")->required();
  inspect->add_option("--layer", inspect_cli.layer, "layer index, 0 = first (decoder layer, or Swin block counted over all stages)")->required();
  inspect->add_option("--samples", inspect_cli.samples, "draws to average")->check(CLI::PositiveNumber);
  inspect->add_option("--out", inspect_cli.out_path, "CSV: row = target, column = source")->required();
  inspect->add_option("overrides", inspect_cli.overrides, "dotted.key=value overrides");

  auto* prepare = app.add_subcommand("prepare-data", "downloaded corpus -> token files + manifest.json");
  prepare->add_option("dataset", prepare_cli.dataset, "enwik8, wikitext-103 or sentencepiece")
      ->required()
      ->check(CLI::IsMember({"enwik8", "wikitext-103", "sentencepiece"}));
  prepare->add_option("--input", prepare_cli.input,
                      "enwik8: the raw 100,000,000-byte file; wikitext-103: folder of wiki.*.tokens; "
                      "sentencepiece: training text")->required();
  prepare->add_option("--out", prepare_cli.out_path, "output directory")->required();
  prepare->add_option("--valid", prepare_cli.valid_text, "sentencepiece: validation text to encode");
  prepare->add_option("--test", prepare_cli.test_text, "sentencepiece: test text to encode");
  prepare->add_option("--model", prepare_cli.spm_model, "sentencepiece: encode with this .model (no training)");
  prepare->add_option("--vocab-size", prepare_cli.vocab_size, "sentencepiece: vocabulary to train")
      ->check(CLI::Range(int64_t{8}, int64_t{1} << 30));
  prepare->add_option("--model-type", prepare_cli.model_type, "sentencepiece: unigram, bpe, char or word")
      ->check(CLI::IsMember({"unigram", "bpe", "char", "word"}));

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
  if (*reference) return run_guarded(ssa::train::command_config_reference, {});
  if (train_cli.config_path.empty()) {
    std::fprintf(stderr, "ssa-train: error: no config given (see ssa-train --help)\n");
    return static_cast<int>(ssa::ExitCode::kConfig);
  }
  return run_guarded(ssa::train::command_train, train_cli);
}
