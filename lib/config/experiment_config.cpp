// Loading, cross-field validation and writing of the experiment config (see experiment_config.h).
#include "lib/config/experiment_config.h"

#include <cctype>
#include <cmath>
#include <functional>
#include <sstream>

#include "lib/config/imported_model.h"
#include "lib/config/overrides.h"
#include "lib/config/schema.h"
#include "lib/config/yaml_reader.h"
#include "lib/config/yaml_writer.h"
#include "lib/core/input_file.h"
#include "lib/data/distribution_augment.h"
#include "models/model_registry.h"
#include "yaml-cpp/depthguard.h"

namespace ssa::config {
namespace {

constexpr size_t kMaxConfigBytes = 1 << 20;  // configs are small; refuse anything huge

using FailFn = models::ReportProblem;

// What the model family's validation may know of data.* and eval.*.
models::DataFacts data_facts(const ExperimentConfig& c) {
  models::DataFacts facts;
  facts.dataset = choice_text(c.data.dataset, kDatasetKinds);
  facts.byte_tokens = c.data.dataset == data::DatasetKind::kText && c.data.format == data::TokenFormat::kBytes;
  facts.seq_len = c.data.seq_len;
  facts.eval_context = c.eval.context;
  for (const auto& family : data::distaug_families(c.data.augment.distaug)) {
    facts.distaug.push_back(family.name);
    facts.distaug_ids.push_back(family.ids);
  }
  return facts;
}

// The family's own rules, then whether it reads this dataset.
void validate_model(const ExperimentConfig& c, const models::DataFacts& facts, const FailFn& fail) {
  const auto& family = models::find_family(c.model.type);
  family.validate(c.model.settings, facts, fail);
  bool reads = false;
  for (const auto& dataset : family.datasets) reads = reads || dataset == facts.dataset;
  if (!reads) fail("data.dataset", family.datasets_problem);
}

// Image transforms that belong to one pipeline.
void validate_augment(const ExperimentConfig& c, const models::DataFacts& facts, const FailFn& fail) {
  const auto task = models::find_family(c.model.type).task(c.model.settings, facts);
  if (!facts.distaug.empty() && task != data::Task::kImageGeneration) {
    fail("data.augment.distaug", "is for pixel generation (the decoder on fashion_mnist or cifar10)");
  }
  if (c.data.dataset == data::DatasetKind::kImageNet && c.data.augment.crop_padding > 0) {
    fail("data.augment.crop_padding", "imagenet crops with resized_crop_min_scale / resized_crop_max_ratio; use 0");
  }
}

// Rules that involve more than one key. Each message names the key to change and why.
void validate(const ExperimentConfig& c, const ReadContext& ctx) {
  const FailFn fail = [&](const std::string& key, const std::string& problem) {
    const auto it = ctx.located.find(key);
    ctx.fail(it != ctx.located.end() ? it->second : ctx.source, key, problem);
  };
  const auto facts = data_facts(c);
  validate_model(c, facts, fail);
  validate_augment(c, facts, fail);
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
    fail("run.resume",
         "continuing from a checkpoint and run.init_from (weights only) exclude each other; "
         "set one of them");
  }
  if (c.run.precision == train::Precision::kFp16 && c.run.device != train::DeviceKind::kCuda) {
    fail("run.precision",
         "fp16 autocast needs run.device: cuda; on CPU use bf16 (train.loss_scale.mode: dynamic "
         "runs the loss scaler in any precision)");
  }
  double total = 0;
  for (const auto& p : c.train.phases) total += p.fraction;
  if (std::fabs(total - 1.0) > 1e-9) {
    fail("train.phases", "fractions must add up to 1, they add up to " + value_text(total));
  }
  const int64_t micro = c.train.micro_batch_size ? c.train.micro_batch_size : c.train.batch_size;
  if (c.train.batch_size % micro != 0) {
    fail("train.micro_batch_size",
         "must divide train.batch_size (" + std::to_string(c.train.batch_size) + "), got " + std::to_string(micro));
  }
  if (c.train.lr_schedule.warmup_steps > c.train.steps) {
    fail("train.lr_schedule.warmup_steps", "is longer than train.steps (" + std::to_string(c.train.steps) + ")");
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
      if (quote == '\'' && i + 1 < text.size() && text[i + 1] == '\'')
        ++i;  // '' inside '...'
      else
        quote = 0;
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
    throw ConfigError(source + ":" + std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1) +
                      ": YAML syntax error: " + e.msg);
  } catch (const YAML::Exception& e) {
    throw ConfigError(source + ": YAML error: " + e.msg);
  }
}

}  // namespace

data::Task task_of(const ExperimentConfig& config) {
  return models::find_family(config.model.type).task(config.model.settings, data_facts(config));
}

ExperimentConfig parse_experiment(const std::string& yaml_text, const std::string& source_name,
                                  const std::vector<std::string>& overrides, const std::string& weights) {
  YAML::Node root = parse_yaml(yaml_text, source_name);
  if (root && !root.IsNull() && !root.IsMap()) {
    throw ConfigError(source_name + ": the top level must be a map of sections (run, model, ...)");
  }
  ReadContext ctx;
  ctx.source = source_name;
  ctx.overridden = apply_overrides(root, overrides);
  merge_imported_model(root, weights);
  ExperimentConfig config;
  ReadVisitor reader(root, "", ctx);
  describe(reader, config);
  reader.finish();
  ctx.raise_missing();
  validate(config, ctx);
  return config;
}

ExperimentConfig load_experiment(const std::string& path, const std::vector<std::string>& overrides,
                                 const std::string& weights) {
  std::string text;
  try {
    text = read_input_file(path, "config", EmptyFile::kAllowed);
  } catch (const InputError& e) {
    throw ConfigError(e.what());  // the command line names it: exit 2, like every config problem
  }
  return parse_experiment(text, path, overrides, weights);
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
  const auto rows = [](const std::string& family) {
    ExperimentConfig defaults;
    models::select_family(defaults.model, family);
    std::string out;
    ReferenceVisitor ref(out, "");
    describe(ref, defaults);
    return out;
  };
  const auto families = models::family_names();
  std::string out = "| key | default | allowed | meaning |\n|---|---|---|---|\n" + rows(families.front());
  // The keys of the other model families, after the shared table, marked with their family.
  for (const auto& type : families) {
    if (type == families.front()) continue;
    std::istringstream lines(rows(type));
    for (std::string line; std::getline(lines, line);) {
      if (line.rfind("| `model.", 0) == 0 && out.find(line.substr(0, line.find(" |", 2))) == std::string::npos) {
        out += line + " (" + type + ")\n";
      }
    }
  }
  return out;
}

}  // namespace ssa::config
