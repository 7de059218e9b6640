// Subcommand implementations (see commands.h).
#include "lib/train/commands.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <thread>

#include <spdlog/spdlog.h>

#include "lib/core/error.h"
#include "lib/core/exclusive_file.h"
#include "lib/core/input_file.h"
#include "lib/core/string_distance.h"
#include "lib/core/json_line.h"
#include "lib/core/log.h"
#include "lib/data/fairseq_dictionary.h"
#include "lib/data/image_dataset.h"
#include "lib/data/prepare_data.h"
#include "lib/dist/agreement.h"
#include "lib/dist/communicator.h"
#include "lib/ssa/sampling_probability.h"
#include "lib/ssa/ssa_layer_plan.h"
#include "lib/train/evaluator.h"
#include "lib/train/build_info.h"
#include "lib/train/fault_injection.h"
#include "lib/train/generation.h"
#include "lib/train/imported_weights.h"
#include "lib/train/machine_limits.h"
#include "lib/train/stop_request.h"
#include "lib/train/trainer.h"
#include "models/decoder/decoder.h"
#include "models/model_registry.h"

namespace ssa::train {
config::ExperimentConfig load_to_run(const CommandLine& cli) {
  auto config = config::load_experiment(cli.config_path, cli.overrides, cli.checkpoint);
  check_machine_limits(config);
  return config;
}

namespace {

// The paper's Fig. 7 as a table: validation metrics vs the number of ensembled SSA samples. The
// columns are the largest ensemble's metrics; those dense attention has no value for stay empty.
std::string ensemble_table_markdown(const EvalResult& r) {
  const Score& widest = r.ensemble.empty() ? r.dense : r.ensemble.back().score;
  std::string header = "| samples | loss |", rule = "|---:|---:|";
  for (const auto& [name, value] : widest.metrics) {
    header += " " + name + " |";
    rule += "---:|";
  }
  const auto row = [&](const std::string& label, const Score& s) {
    std::string line = fmt::format("| {} | {:.4f} |", label, s.loss);
    for (const auto& column : widest.metrics) {
      const double value = s.metric(column.first);
      line += std::isnan(value) ? " |" : fmt::format(" {:.4f} |", value);
    }
    return line + "\n";
  };
  std::string table = header + "\n" + rule + "\n" + row("dense", r.dense);
  for (const auto& p : r.ensemble) table += row(std::to_string(p.samples), p.score);
  return table;
}

// eval --per-example: the rows of EvalResult::examples as CSV; NaN (no ensemble) is an empty field.
std::string per_example_csv(models::Prediction kind, const ExampleRows& rows) {
  std::string csv = join(example_columns(kind), ",") + "\n";
  const auto table = rows.contiguous();
  const auto* p = table.data_ptr<double>();
  for (int64_t i = 0; i < table.size(0); ++i) {
    for (int64_t j = 0; j < table.size(1); ++j) {
      const double v = p[i * table.size(1) + j];
      if (j > 0) csv += ',';
      if (std::isnan(v)) continue;
      csv += v == std::floor(v) && std::abs(v) < 1e15 ? fmt::format("{:.0f}", v) : fmt::format("{:.6g}", v);
    }
    csv += '\n';
  }
  return csv;
}

// (T, T) matrix as CSV: row i = target, column j = source.
std::string matrix_csv(const at::Tensor& matrix) {
  const auto m = matrix.contiguous().to(at::kDouble);
  const auto* p = m.data_ptr<double>();
  std::string csv;
  for (int64_t i = 0; i < m.size(0); ++i) {
    for (int64_t j = 0; j < m.size(1); ++j) {
      if (j > 0) csv += ',';
      csv += fmt::format("{:.6g}", p[i * m.size(1) + j]);
    }
    csv += '\n';
  }
  return csv;
}

// Rank 0 locks and prepares the run directory (the lock held in `lock` until the run ends) and
// starts train.log; the others learn of a failure instead of waiting.
RunPaths prepare_run_dir_on_main(const config::ExperimentConfig& config, const std::string& root,
                                 dist::Communicator& comm, std::optional<RunDirLock>& lock) {
  RunPaths paths = run_paths(root);
  dist::run_agreeing(comm, "preparing " + root, [&] {
    if (!comm.is_main()) return;
    lock.emplace(root);
    paths = prepare_run_dir(config, root);
    log::add_file(paths.log);
  });
  return paths;
}

// Every rank loads the data before anything is written; a failure on any rank stops all. Ranks
// may finish loading up to dist.load_timeout_s apart (a cache built on first use, a slow disk).
data::TaskData load_data_on_every_rank(const config::ExperimentConfig& config, dist::Communicator& comm) {
  data::TaskData data;
  dist::run_agreeing(
      comm, "loading the data",
      [&] {
        const int64_t delay_ms = FaultInjection().amount("slow_load", 0, comm.rank());  // tests only
        if (delay_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
        data = load_data(config);
      },
      dist::Patience::kSlowRanks);
  return data;
}

// An imported run.init_from (Hugging Face or torchvision) is loaded once into a model built here
// before the run directory exists, so a mismatch or a damaged shard leaves nothing written (the
// trainer loads it again).
void check_imported_weights(const config::ExperimentConfig& config) {
  if (config.run.init_from.empty() || !is_imported_checkpoint(config.run.init_from)) return;
  const auto model = models::build_model(config.model, 0);
  import_weights(config.run.init_from, *model);
}

// The ranks of this job (one process when no launcher started it), rank 0 the only one to log
// below warnings.
std::unique_ptr<dist::Communicator> connect_ranks(const config::ExperimentConfig& config) {
  const auto launch = dist::discover_launch();
  if (launch.rank != 0) spdlog::set_level(spdlog::level::warn);  // rank 0 speaks for the job
  if (!launch.warning.empty()) spdlog::warn("{}", launch.warning);
  return std::make_unique<dist::Communicator>(
      launch, resolve_device(config.run, launch.local_rank),
      std::chrono::milliseconds(static_cast<int64_t>(config.dist.timeout_s * 1000)),
      std::chrono::milliseconds(static_cast<int64_t>(config.dist.load_timeout_s * 1000)));
}

}  // namespace

int command_train(const CommandLine& cli) {
  install_stop_handlers();  // a stop signal during the data load counts, after the first step
  const auto config = load_to_run(cli);
  const auto connection = connect_ranks(config);
  dist::Communicator& comm = *connection;
  apply_run_settings(config.run);
  const std::string root = run_dir_for(config, cli.config_path);
  dist::run_agreeing(comm, "checking " + root, [&] {
    if (comm.is_main()) RunDirLock::check_free(root);  // before a data load that may take minutes
  });
  data::TaskData data = load_data_on_every_rank(config, comm);
  dist::run_agreeing(comm, "checking run.init_from", [&] { check_imported_weights(config); });
  std::optional<RunDirLock> lock;
  const RunPaths paths = prepare_run_dir_on_main(config, root, comm, lock);
  spdlog::info("{}", build_description());
  spdlog::info("config {}{}{}", cli.config_path, cli.overrides.empty() ? "" : " with ", join(cli.overrides, " "));
  spdlog::info("run directory {}", paths.root);
  Trainer trainer(config, paths, comm, std::move(data));
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

namespace {

// eval's output on stdout: one JSON line for dense attention, then one per ensemble size.
std::string eval_lines(const EvalResult& r, const std::string& checkpoint, int64_t step, int64_t context) {
  const auto score_line = [&](const std::string& mode, int64_t samples, const Score& score) {
    JsonLine line;
    line.add("checkpoint", checkpoint)
        .add("step", step)
        .add("split", "valid")
        .add("mode", mode)
        .add("samples", samples)
        .add("context", context)
        .add("loss", score.loss);
    for (const auto& [name, value] : score.metrics) line.add(name, value);
    return line.add("targets", r.targets).str();
  };
  std::string lines = score_line("dense", 0, r.dense) + "\n";
  for (const auto& point : r.ensemble) lines += score_line("ensemble", point.samples, point.score) + "\n";
  return lines;
}

}  // namespace

int command_eval(const CommandLine& cli) {
  const auto config = load_to_run(cli);
  const auto connection = connect_ranks(config);
  dist::Communicator& comm = *connection;
  apply_run_settings(config.run);
  const data::TaskData data = load_data_on_every_rank(config, comm);
  auto model = models::build_model(config.model, 0);
  TrainState state;
  const std::string checkpoint = resolve_checkpoint(cli.checkpoint);
  dist::run_agreeing(comm, "loading " + checkpoint, [&] {
    if (is_imported_checkpoint(checkpoint)) return import_weights(checkpoint, *model);  // step 0
    load_checkpoint(checkpoint, {*model, nullptr, state});
  });
  model->to(comm.device());
  const EvalPlan plan{ensemble_seed(config.run.seed), !cli.per_example_path.empty()};
  const EvalResult r = evaluate(*model, *data.valid, config::task_of(config), config.eval, comm.device(), comm, plan);
  if (!comm.is_main()) return static_cast<int>(ExitCode::kOk);  // rank 0 reports for the job
  if (!all_finite(r)) spdlog::warn("{}: evaluation scores are not finite (loss {})", checkpoint, r.dense.loss);
  std::printf("%s", eval_lines(r, checkpoint, state.step, config.eval.context).c_str());
  if (!cli.table_path.empty()) replace_file_atomically(cli.table_path, ensemble_table_markdown(r));
  if (plan.per_example)
    replace_file_atomically(cli.per_example_path, per_example_csv(model->prediction_kind(), r.examples));
  return static_cast<int>(ExitCode::kOk);
}

namespace {

// What inspect-sampling draws from: the family's per-layer SSA plan (models/model_registry.h).
models::SampledLayers sampled_layers(const config::ExperimentConfig& config) {
  const auto layers = models::find_family(config.model.type).sampled_layers(config.model.settings, config.data.seq_len);
  if (!layers) {
    throw ConfigError("inspect-sampling: model.type " + config.model.type +
                      " draws its sources per example, not per layer; use a decoder, swin or vit config");
  }
  return *layers;
}

// Token ids (N) as N bytes: byte-level text, or sub-pixel values (a token above 255 becomes 255).
std::string tokens_as_bytes(const at::Tensor& tokens) {
  const auto bytes = tokens.clamp(0, 255).to(at::kByte).contiguous();
  return std::string(reinterpret_cast<const char*>(bytes.data_ptr<uint8_t>()), static_cast<size_t>(bytes.numel()));
}

// A generated image, (H*W*C) sub-pixels in raster (row, column, channel) order, as binary PGM
// (one channel) or PPM (three).
std::string netpbm_image(const at::Tensor& pixels, int64_t height, int64_t width, int64_t channels) {
  const std::string header = (channels == 1 ? "P5\n" : "P6\n") + std::to_string(width) + " " + std::to_string(height) +
                             "\n255\n";
  return header + tokens_as_bytes(pixels);
}

// A pixel model's image, drawn from the begin token.
std::string sample_image(models::Decoder& model, const models::DecoderConfig& d, const GenerationOptions& options) {
  const int64_t length = d.image_height * d.image_width * d.image_channels;
  const auto begin = at::full({1}, data::PixelSequenceDataset::kBeginToken, at::kLong);
  const auto tokens = generate(model, begin, length, length, options);  // (1 + H*W*C)
  return netpbm_image(tokens.slice(0, 1), d.image_height, d.image_width, d.image_channels);
}

// Byte-level text: the prompt's bytes and their continuation.
std::string sample_bytes(models::Decoder& model, const CommandLine& cli, int64_t window,
                         const GenerationOptions& options) {
  std::vector<int64_t> prompt;
  for (const unsigned char byte : cli.prompt) prompt.push_back(byte);
  return tokens_as_bytes(generate(model, at::tensor(prompt, at::kLong), cli.length, window, options));  // prompt + length
}

// Word-level text (prepare-data's dict.txt): the prompt's words and their continuation, words
// joined by spaces and </s> as a line break, as in WikiText's token files.
std::string sample_words(models::Decoder& model, const CommandLine& cli, int64_t window,
                         const GenerationOptions& options) {
  const std::string text = read_input_file(cli.dict_path, "--dict");
  const auto dict = data::FairseqDictionary::from_text(text, cli.dict_path);
  std::vector<int64_t> prompt;
  data::for_each_word(cli.prompt, [&](std::string_view word) { prompt.push_back(dict.index(std::string(word))); });
  if (prompt.empty()) prompt.push_back(data::FairseqDictionary::kEos);  // start at a line boundary
  const auto tokens = generate(model, at::tensor(prompt, at::kLong), cli.length, window, options);
  std::string out;
  for (int64_t i = 0; i < tokens.numel(); ++i) {
    const int64_t id = tokens[i].item<int64_t>();
    const bool line_end = id == data::FairseqDictionary::kEos;
    if (!out.empty() && out.back() != '\n' && !line_end) out += ' ';
    if (line_end) {
      out += '\n';
    } else {
      out += id < dict.size() ? dict.symbols()[static_cast<size_t>(id)] : "<unk>";
    }
  }
  return out;
}

}  // namespace

// Text models continue --prompt (bytes, or words with --dict) and print it with the continuation
// (or write it to --out); pixel models write one image to --out.
int command_sample(const CommandLine& cli) {
  const auto config = load_to_run(cli);
  apply_run_settings(config.run);
  const auto model = std::dynamic_pointer_cast<models::Decoder>(models::build_model(config.model, 0));
  if (!model) throw ConfigError("sample: model.type " + config.model.type + " does not generate; use a decoder");
  load_weights(resolve_checkpoint(cli.checkpoint), *model);
  model->to(resolve_device(config.run));
  const GenerationOptions& options = cli.generation;
  if (config::task_of(config) == data::Task::kImageGeneration) {
    if (cli.out_path.empty()) throw ConfigError("sample: a pixel model needs --out FILE for its image");
    replace_file_atomically(cli.out_path, sample_image(*model, config.model.as<models::DecoderConfig>(), options));
    std::printf("%s\n", cli.out_path.c_str());
    return static_cast<int>(ExitCode::kOk);
  }
  std::string text;
  if (config.data.format == data::TokenFormat::kBytes) {
    if (cli.prompt.empty()) throw ConfigError("sample: --prompt must hold at least one byte");
    text = sample_bytes(*model, cli, config.data.seq_len, options);
  } else {
    if (cli.dict_path.empty()) throw ConfigError("sample: word-level text needs --dict (the dict.txt of prepare-data)");
    text = sample_words(*model, cli, config.data.seq_len, options);
  }
  if (!cli.out_path.empty()) {
    replace_file_atomically(cli.out_path, text);
  } else {
    std::fwrite(text.data(), 1, text.size(), stdout);
  }
  return static_cast<int>(ExitCode::kOk);
}

int command_inspect_sampling(const CommandLine& cli) {
  const auto config = load_to_run(cli);
  apply_run_settings(config.run);
  const auto layers = sampled_layers(config);
  const auto count = static_cast<int64_t>(layers.sigma.size());
  if (cli.layer < 0 || cli.layer >= count) {
    throw ConfigError("--layer " + std::to_string(cli.layer) + ": the model has layers 0.." + std::to_string(count - 1));
  }
  const auto sigma = layers.sigma[static_cast<size_t>(cli.layer)];
  if (!sigma) {
    throw ConfigError("--layer " + std::to_string(cli.layer) +
                      ": this layer is dense (model.ssa.layers = " + std::to_string(layers.ssa.layers) + ")");
  }
  const int64_t length = layers.length[static_cast<size_t>(cli.layer)];
  attn::SourceSampler sampler(config.run.seed);
  const auto probability = attn::sampling_probability(sampler, layers.ssa, length, *sigma, cli.samples);
  replace_file_atomically(cli.out_path, matrix_csv(probability));
  std::printf("%s\n", JsonLine()
                          .add("layer", cli.layer)
                          .add("sigma_fraction", *sigma)
                          .add("samples", cli.samples)
                          .add("length", length)
                          .add("mean_probability", probability.mean().item<double>())
                          .add("out", cli.out_path)
                          .str()
                          .c_str());
  return static_cast<int>(ExitCode::kOk);
}

int command_config_reference(const CommandLine&) {
  std::printf("%s", config::config_reference_markdown().c_str());
  return static_cast<int>(ExitCode::kOk);
}

int command_prepare_data(const CommandLine& cli) {
  data::PreparedData prepared;
  if (cli.dataset == "enwik8") {
    prepared = data::prepare_enwik8(cli.input, cli.out_path);
  } else if (cli.dataset == "wikitext-103") {
    prepared = data::prepare_wikitext103(cli.input, cli.out_path);
  } else if (cli.dataset == "sentencepiece") {
    data::SentencePieceOptions options = cli.sentencepiece;
    options.train_text = cli.input;
    prepared = data::prepare_sentencepiece(options, cli.out_path);
  } else {
    throw ConfigError("prepare-data: unknown dataset '" + cli.dataset + "'; use enwik8, wikitext-103 or sentencepiece");
  }
  std::printf("%s\n", data::write_manifest(prepared).c_str());
  return static_cast<int>(ExitCode::kOk);
}

}  // namespace ssa::train
