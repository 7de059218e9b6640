// Loading, cross-field validation and writing of the experiment config (see experiment_config.h).
#include "lib/config/experiment_config.h"

#include <cctype>
#include <cmath>
#include <functional>
#include <sstream>

#include "lib/config/overrides.h"
#include "lib/config/schema.h"
#include "lib/config/yaml_reader.h"
#include "lib/config/yaml_writer.h"
#include "lib/core/input_file.h"
#include "lib/data/distribution_augment.h"
#include "models/decoder/decoder.h"
#include "models/model_factory.h"
#include "models/swin/swin.h"
#include "yaml-cpp/depthguard.h"

namespace ssa::config {
namespace {

constexpr size_t kMaxConfigBytes = 1 << 20;  // configs are small; refuse anything huge

using FailFn = std::function<void(const std::string& key, const std::string& problem)>;

// Runs a model-side check and reports its ModelConfigError via fail, at the key's position.
void report_config_error(const std::function<void()>& check, const FailFn& fail) {
  try {
    check();
  } catch (const ModelConfigError& e) {
    fail(e.key(), e.problem());
  }
}

// DistAug: only for pixel generation, and a conditioned decoder has one id count per family.
void validate_distaug(const ExperimentConfig& c, const FailFn& fail) {
  const auto families = data::distaug_families(c.data.augment.distaug);
  if (!families.empty() && !(data::in_memory_images(c.data.dataset) && c.model.type == models::ModelFamily::kDecoder)) {
    fail("data.augment.distaug", "is for pixel generation (the decoder on fashion_mnist or cifar10)");
  }
  const auto& conditions = c.model.decoder.conditions;
  if (conditions.empty()) return;  // unconditional augmentation (or none)
  std::string names, sizes;
  std::vector<int64_t> expected;
  for (const auto& family : families) {
    names += (names.empty() ? "" : ", ") + family.name;
    sizes += (sizes.empty() ? "" : ", ") + std::to_string(family.ids);
    expected.push_back(family.ids);
  }
  if (families.empty()) {
    fail("model.conditions", "conditions the model on DistAug ids, but data.augment.distaug enables no family");
  } else if (conditions != expected) {
    fail("model.conditions", "must list the ids of data.augment.distaug's families (" + names + "): [" + sizes + "]");
  }
}

// The decoder: heads, SSA layers and windows against the sequence length.
void validate_decoder(const ExperimentConfig& c, const FailFn& fail) {
  const auto& m = c.model.decoder;
  if (m.d_model % m.heads != 0) {
    fail("model.heads", "must divide model.d_model (" + std::to_string(m.d_model) + "), got " +
                            std::to_string(m.heads));
  }
  if (m.ssa.layers > m.layers) {
    fail("model.ssa.layers", "is " + std::to_string(m.ssa.layers) + " but the model has only " +
                                 std::to_string(m.layers) + " layers");
  }
  if (!attn::is_causal(m.ssa.variant)) {
    fail("model.ssa.variant", "the decoder is causal; use causal_local, causal_unbiased or causal_2d");
  }
  const bool grid = m.ssa.variant == attn::SsaVariant::kCausalGrid || m.ssa.variant == attn::SsaVariant::kLocalGrid;
  const int64_t row_length = attn::grid_row_length(m.ssa, c.data.seq_len);
  if (grid && (row_length < 0 || (c.data.seq_len / row_length) % m.ssa.windows != 0)) {
    fail("model.ssa.row_length", "data.seq_len (" + std::to_string(c.data.seq_len) + ") must be a grid of rows of " +
                                     (m.ssa.row_length > 0 ? std::to_string(m.ssa.row_length) : "sqrt(data.seq_len)") +
                                     " tokens whose row count is a multiple of " + std::to_string(m.ssa.windows) +
                                     " windows");
  }
  const bool windowed = m.ssa.variant != attn::SsaVariant::kUnbiased;
  if (!grid && windowed && c.data.seq_len % m.ssa.windows != 0) {
    fail("model.ssa.windows", "data.seq_len (" + std::to_string(c.data.seq_len) +
                                  ") must be a multiple of the window count (" +
                                  std::to_string(m.ssa.windows) + ")");
  }
  if (c.data.dataset == data::DatasetKind::kImageNet || c.data.dataset == data::DatasetKind::kMolecules) {
    fail("data.dataset", "the decoder reads text, fashion_mnist or cifar10");
  }
  if (c.data.dataset == data::DatasetKind::kText && c.data.format == data::TokenFormat::kBytes && m.vocab_size < 256) {
    fail("model.vocab_size", "byte-level data needs at least 256 entries, got " + std::to_string(m.vocab_size));
  }
  if (m.position == "grid_2d" && m.image_height * m.image_width * m.image_channels != c.data.seq_len) {
    fail("model.image_height", "grid_2d needs image_height x image_width x image_channels (" +
                                   std::to_string(m.image_height * m.image_width * m.image_channels) +
                                   ") = data.seq_len (" + std::to_string(c.data.seq_len) + ")");
  }
  if (!m.adaptive_cutoffs.empty()) {
    report_config_error([&] { models::decoder_adaptive_bands(m); }, fail);
  }
  if (c.eval.context >= c.data.seq_len) {
    fail("eval.context", "must be smaller than data.seq_len (" + std::to_string(c.data.seq_len) + ")");
  }
}

// EGT: heads divide the node width; SSA layers exist; the data are molecules.
void validate_egt(const ExperimentConfig& c, const FailFn& fail) {
  const auto& m = c.model.egt;
  if (m.d_node % m.heads != 0) {
    fail("model.heads", "must divide model.d_node (" + std::to_string(m.d_node) + "), got " + std::to_string(m.heads));
  }
  if (m.ssa.layers > m.layers) {
    fail("model.ssa.layers", "is " + std::to_string(m.ssa.layers) + " but the model has only " +
                                 std::to_string(m.layers) + " layers");
  }
  if (c.data.dataset != data::DatasetKind::kMolecules) fail("data.dataset", "egt reads molecules; use molecules");
}

// Swin: the stage geometry must divide evenly; SSA is the sub-window or the unbiased variant.
void validate_swin(const ExperimentConfig& c, const FailFn& fail) {
  const auto& m = c.model.swin;
  report_config_error([&] { models::swin_geometry(m); }, fail);
  if (m.ssa.variant != attn::SsaVariant::kSwinSubwindow && m.ssa.variant != attn::SsaVariant::kUnbiased) {
    fail("model.ssa.variant", "Swin subsamples within windows; use swin_subwindow or unbiased");
  }
  if (c.data.dataset == data::DatasetKind::kText || c.data.dataset == data::DatasetKind::kMolecules) {
    fail("data.dataset", "swin classifies images; use fashion_mnist, cifar10 or imagenet");
  }
  if (c.data.dataset == data::DatasetKind::kImageNet) {
    if (m.in_channels != 3) fail("model.in_channels", "imagenet images are RGB; use 3");
    if (c.data.augment.crop_padding > 0) {
      fail("data.augment.crop_padding", "imagenet crops with resized_crop_min_scale / resized_crop_max_ratio; use 0");
    }
  }
}

// Rules that involve more than one key. Each message names the key to change and why.
void validate(const ExperimentConfig& c, const ReadContext& ctx) {
  const FailFn fail = [&](const std::string& key, const std::string& problem) {
    const auto it = ctx.located.find(key);
    ctx.fail(it != ctx.located.end() ? it->second : ctx.source, key, problem);
  };
  if (c.model.type == models::ModelFamily::kDecoder) validate_decoder(c, fail);
  if (c.model.type == models::ModelFamily::kSwin) validate_swin(c, fail);
  if (c.model.type == models::ModelFamily::kEgt) validate_egt(c, fail);
  validate_distaug(c, fail);
  if (c.data.train_images > 0 && !data::in_memory_images(c.data.dataset)) {
    fail("data.train_images", "applies to fashion_mnist and cifar10 only");
  }
  if (c.data.dataset != data::DatasetKind::kImageNet) {  // timm's extra transforms run on ImageNet's JPEGs only
    if (c.data.augment.rand_augment.layers > 0) {
      fail("data.augment.rand_augment.layers", "RandAugment is part of the imagenet pipeline only; use 0");
    }
    if (c.data.augment.random_erasing > 0) {
      fail("data.augment.random_erasing", "random erasing is part of the imagenet pipeline only; use 0");
    }
  }
  if (c.run.resume != "auto" && c.run.resume != "never" && !c.run.init_from.empty()) {
    fail("run.resume", "continuing from a checkpoint and run.init_from (weights only) exclude each other; "
                       "set one of them");
  }
  if (c.run.precision == train::Precision::kFp16 && c.run.device != train::DeviceKind::kCuda) {
    fail("run.precision", "fp16 autocast needs run.device: cuda; on CPU use bf16 (train.loss_scale.mode: dynamic "
                          "runs the loss scaler in any precision)");
  }
  double total = 0;
  for (const auto& p : c.train.phases) total += p.fraction;
  if (std::fabs(total - 1.0) > 1e-9) {
    fail("train.phases", "fractions must add up to 1, they add up to " + value_text(total));
  }
  const int64_t micro = c.train.micro_batch_size ? c.train.micro_batch_size : c.train.batch_size;
  if (c.train.batch_size % micro != 0) {
    fail("train.micro_batch_size", "must divide train.batch_size (" +
                                       std::to_string(c.train.batch_size) + "), got " +
                                       std::to_string(micro));
  }
  if (c.train.lr_schedule.warmup_steps > c.train.steps) {
    fail("train.lr_schedule.warmup_steps", "is longer than train.steps (" +
                                               std::to_string(c.train.steps) + ")");
  }
  if (c.train.lr_schedule.min_lr > c.train.optimizer.lr) {
    fail("train.lr_schedule.min_lr", "must not exceed train.optimizer.lr");
  }
}

// yaml-cpp accepts a quoted scalar left open at the end of the file and swallows the rest of
// the document into it; find that case ourselves. Returns the 1-based line of the open quote.
int unclosed_quote_line(const std::string& text) {
  char quote = 0;
  int line = 1, opened_at = 0;
  char previous = '\n';  // last non-blank character outside quotes
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\n') ++line;
    if (quote == '"' && c == '\\') {
      ++i;
    } else if (quote && c == quote) {
      if (quote == '\'' && i + 1 < text.size() && text[i + 1] == '\'') ++i;  // '' inside '...'
      else quote = 0;
    } else if (!quote && c == '#' && (i == 0 || std::isspace(static_cast<unsigned char>(text[i - 1])))) {
      while (i + 1 < text.size() && text[i + 1] != '\n') ++i;
    } else if (!quote && (c == '"' || c == '\'') && std::string(":-[{,\n").find(previous) != std::string::npos) {
      quote = c;
      opened_at = line;
    }
    if (!quote && !std::isspace(static_cast<unsigned char>(c))) previous = c;
    if (!quote && c == '\n') previous = '\n';
  }
  return quote ? opened_at : 0;
}

YAML::Node parse_yaml(const std::string& text, const std::string& source) {
  if (const int line = unclosed_quote_line(text)) {
    throw ConfigError(source + ":" + std::to_string(line) + ": YAML syntax error: quote opened here is never closed");
  }
  if (text.size() > kMaxConfigBytes) {
    throw ConfigError(source + ": config is larger than 1 MiB; is this the right file?");
  }
  try {
    const auto documents = YAML::LoadAll(text);
    if (documents.size() > 1) {
      throw ConfigError(source + ": holds " + std::to_string(documents.size()) +
                        " YAML documents (separated by ---); expected one");
    }
    return documents.empty() ? YAML::Node() : documents[0];
  } catch (const YAML::DeepRecursion& e) {
    throw ConfigError(source + ":" + std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1) +
                      ": YAML nested too deeply (the limit is 500 levels)");
  } catch (const YAML::ParserException& e) {
    throw ConfigError(source + ":" + std::to_string(e.mark.line + 1) + ":" +
                      std::to_string(e.mark.column + 1) + ": YAML syntax error: " + e.msg);
  } catch (const YAML::Exception& e) {
    throw ConfigError(source + ": YAML error: " + e.msg);
  }
}

}  // namespace

data::Task task_of(const ExperimentConfig& config) {
  if (config.model.type == models::ModelFamily::kSwin) return data::Task::kImageClassification;
  if (config.model.type == models::ModelFamily::kEgt) return data::Task::kGraphRegression;
  return config.data.dataset == data::DatasetKind::kText ? data::Task::kLanguageModel : data::Task::kImageGeneration;
}

ExperimentConfig parse_experiment(const std::string& yaml_text, const std::string& source_name,
                                  const std::vector<std::string>& overrides) {
  YAML::Node root = parse_yaml(yaml_text, source_name);
  if (root && !root.IsNull() && !root.IsMap()) {
    throw ConfigError(source_name + ": the top level must be a map of sections (run, model, ...)");
  }
  ReadContext ctx;
  ctx.source = source_name;
  ctx.overridden = apply_overrides(root, overrides);
  ExperimentConfig config;
  ReadVisitor reader(root, "", ctx);
  describe(reader, config);
  reader.finish();
  ctx.raise_missing();
  validate(config, ctx);
  return config;
}

ExperimentConfig load_experiment(const std::string& path, const std::vector<std::string>& overrides) {
  std::string text;
  try {
    text = read_input_file(path, "config", EmptyFile::kAllowed);
  } catch (const InputError& e) {
    throw ConfigError(e.what());  // the command line names it: exit 2, like every config problem
  }
  return parse_experiment(text, path, overrides);
}

std::string to_yaml(const ExperimentConfig& config) {
  ExperimentConfig copy = config;
  std::string out = "# Resolved ssa-train config: every key, defaults included.\n";
  YamlWriteVisitor writer(out);
  describe(writer, copy);
  return out;
}

FlatConfig flatten(const ExperimentConfig& config) {
  ExperimentConfig copy = config;
  FlatConfig out;
  FlatVisitor flat(out.values, out.architecture_keys, "");
  describe(flat, copy);
  return out;
}

std::string config_reference_markdown() {
  using models::ModelFamily;
  const auto rows = [](ModelFamily type) {
    ExperimentConfig defaults;
    defaults.model.type = type;
    std::string out;
    ReferenceVisitor ref(out, "");
    describe(ref, defaults);
    return out;
  };
  std::string out = "| key | default | allowed | meaning |\n|---|---|---|---|\n" + rows(ModelFamily::kDecoder);
  // The keys of the other model families, after the shared table, marked with their family.
  for (const auto type : models::model_families()) {
    if (type == ModelFamily::kDecoder) continue;
    std::istringstream lines(rows(type));
    for (std::string line; std::getline(lines, line);) {
      if (line.rfind("| `model.", 0) == 0 && out.find(line.substr(0, line.find(" |", 2))) == std::string::npos) {
        out += line + " (" + models::family_name(type) + ")\n";
      }
    }
  }
  return out;
}

}  // namespace ssa::config
