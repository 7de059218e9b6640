// Subcommand implementations (see commands.h).
#include "lib/train/commands.h"

#include <cstdio>
#include <filesystem>

#include <spdlog/spdlog.h>

#include "lib/core/error.h"
#include "lib/core/json_line.h"
#include "lib/core/log.h"
#include "lib/train/evaluator.h"
#include "lib/train/trainer.h"
#include "models/model_factory.h"

namespace ssa::train {
namespace {

std::string with_commas(int64_t n) {
  std::string digits = std::to_string(n), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

// A checkpoint directory, or the newest complete checkpoint of a run directory.
std::string resolve_checkpoint(const std::string& path) {
  if (std::filesystem::exists(std::filesystem::path(path) / "COMPLETE")) return path;
  const auto found = Checkpointer(run_paths(path).checkpoints, 2).complete_checkpoints();
  if (found.empty()) throw InputError(path + ": no complete checkpoint here or in its checkpoints/");
  return found.back();
}

}  // namespace

int command_train(const CommandLine& cli) {
  const auto config = config::load_experiment(cli.config_path, cli.overrides);
  const RunPaths paths = prepare_run_dir(config, run_dir_for(config, cli.config_path));
  log::add_file(paths.log);
  spdlog::info("run directory {}", paths.root);
  apply_run_settings(config.run);
  Trainer trainer(config, paths);
  trainer.run();
  spdlog::info("done; metrics in {}", paths.metrics);
  return static_cast<int>(ExitCode::kOk);
}

int command_check(const CommandLine& cli) {
  const auto config = config::load_experiment(cli.config_path, cli.overrides);
  const auto model = models::build_model(config.model, /*sampler_seed=*/0);
  std::printf("config %s is valid\n", cli.config_path.c_str());
  std::printf("model: %s%s\n", config.model.type.c_str(),
              config.model.flavor.empty() ? "" : (" (" + config.model.flavor + ")").c_str());
  std::printf("parameters: %s\n", with_commas(model->parameter_count()).c_str());
  return static_cast<int>(ExitCode::kOk);
}

int command_eval(const CommandLine& cli) {
  const auto config = config::load_experiment(cli.config_path, cli.overrides);
  apply_run_settings(config.run);
  const at::Device device = resolve_device(config.run);
  const auto splits = data::load_token_splits(config.data);
  data::check_vocabulary(splits, config.model.decoder.vocab_size);
  auto model = models::build_model(config.model, 0);
  TrainState state;
  const std::string checkpoint = resolve_checkpoint(cli.checkpoint);
  load_checkpoint(checkpoint, {*model, nullptr, state});
  model->to(device);
  const EvalResult r = evaluate(*model, splits.valid, config.data.seq_len, config.eval, device);
  std::printf("%s\n", JsonLine()
                          .add("checkpoint", checkpoint)
                          .add("step", state.step)
                          .add("split", "valid")
                          .add("loss", r.loss)
                          .add("bits_per_token", r.bits_per_token)
                          .add("perplexity", r.perplexity)
                          .add("tokens", r.tokens)
                          .str()
                          .c_str());
  return static_cast<int>(ExitCode::kOk);
}

int command_config_reference(const CommandLine&) {
  std::printf("%s", config::config_reference_markdown().c_str());
  return static_cast<int>(ExitCode::kOk);
}

}  // namespace ssa::train
