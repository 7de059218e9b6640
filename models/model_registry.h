// The model zoo's registry: every family registers itself once (models/families.cpp), with its
// name and flavors, its config keys, validation, builder, task and the data it needs. The model
// factory, the schema, config validation, task_of, data loading and inspect-sampling ask it
// instead of switching on the family.
#pragma once
#include <any>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "lib/core/batch.h"
#include "lib/core/error.h"
#include "lib/core/field_visitor.h"
#include "lib/ssa/ssa_config.h"
#include "models/flavor_table.h"
#include "models/model.h"
#include "models/model_config.h"

namespace ssa::models {

// What config validation tells a family about the rest of the experiment (lib/config fills it).
struct DataFacts {
  std::string dataset;               // data.dataset: text, fashion_mnist, cifar10, imagenet, molecules
  bool byte_tokens = false;          // text read as bytes (data.format: bytes)
  int64_t seq_len = 0;               // data.seq_len
  int64_t eval_context = 0;          // eval.context
  std::vector<std::string> distaug;  // names of the enabled data.augment.distaug families, in order
  std::vector<int64_t> distaug_ids;  // their id counts
};

// What the family's model needs the data loader to check or match.
struct DataNeeds {
  int64_t vocab_size = 0;   // token tasks: every id must be below it (0: not a token task)
  int64_t image_side = 0;   // imagenet: the square input side
  int64_t num_classes = 0;  // imagenet: must match the training class folders
};

// inspect-sampling: the SSA settings and, per attention layer, its sigma fraction (none: dense)
// and the tokens it attends over.
struct SampledLayers {
  attn::SsaConfig ssa;
  std::vector<std::optional<double>> sigma;
  std::vector<int64_t> length;
};

// Reports a problem with a dotted key ("model.heads", "data.dataset"); throws.
using ReportProblem = std::function<void(const std::string& key, const std::string& problem)>;

// A family as its folder defines it, typed by its config struct.
template <class Config>
struct Family {
  const char* name;                         // model.type
  std::vector<std::string> datasets;        // the data.dataset values it reads ...
  const char* datasets_problem;             // ... and what to tell a config with another one
  const FlavorTable<Config>& (*flavors)();  // model.flavor presets
  void (*describe)(config::FieldVisitor& v, Config& c);
  void (*validate)(const Config& c, const DataFacts& data, const ReportProblem& fail);
  data::Task (*task)(const Config& c, const DataFacts& data);
  DataNeeds (*data_needs)(const Config& c);
  std::shared_ptr<Model> (*build)(const Config& c, uint64_t sampler_seed);
  // nullptr: the family's sampling is not a fixed per-layer source set (inspect-sampling refuses it).
  SampledLayers (*sampled_layers)(const Config& c, int64_t seq_len) = nullptr;
};

// The same, with the config held in a std::any: what the registry stores.
struct RegisteredFamily {
  std::string name;
  std::vector<std::string> datasets;
  std::string datasets_problem;
  std::vector<std::string> flavor_names;
  std::function<std::any()> defaults;
  std::function<std::any(const std::string& flavor)> flavor;
  std::function<void(config::FieldVisitor&, std::any&)> describe;
  std::function<void(const std::any&, const DataFacts&, const ReportProblem&)> validate;
  std::function<data::Task(const std::any&, const DataFacts&)> task;
  std::function<DataNeeds(const std::any&)> data_needs;
  std::function<std::shared_ptr<Model>(const std::any&, uint64_t)> build;
  std::function<std::optional<SampledLayers>(const std::any&, int64_t)> sampled_layers;
};

template <class Config>
RegisteredFamily registered(const Family<Config>& f) {
  const auto cfg = [](const std::any& a) -> const Config& { return std::any_cast<const Config&>(a); };
  return {f.name,
          f.datasets,
          f.datasets_problem,
          flavor_table_names(f.flavors()),
          [] { return std::any(Config{}); },
          [table = f.flavors, name = std::string(f.name)](const std::string& flavor) {
            return std::any(flavor_from_table(table(), name, flavor));
          },
          [d = f.describe](config::FieldVisitor& v, std::any& a) { d(v, std::any_cast<Config&>(a)); },
          [v = f.validate, cfg](const std::any& a, const DataFacts& d, const ReportProblem& p) { v(cfg(a), d, p); },
          [t = f.task, cfg](const std::any& a, const DataFacts& d) { return t(cfg(a), d); },
          [n = f.data_needs, cfg](const std::any& a) { return n(cfg(a)); },
          [b = f.build, cfg](const std::any& a, uint64_t seed) { return b(cfg(a), seed); },
          [s = f.sampled_layers, cfg](const std::any& a, int64_t seq_len) -> std::optional<SampledLayers> {
            if (!s) return std::nullopt;
            return s(cfg(a), seq_len);
          }};
}

// Every family, in registration order (the order model.type lists them); the first is the default.
const std::vector<RegisteredFamily>& model_families();
std::vector<std::string> family_names();
// The family `name`; throws ConfigError listing the registered ones when there is none.
const RegisteredFamily& find_family(const std::string& name);

// Sets config.type to `name` and its settings to that family's defaults (unless they already are its).
void select_family(ModelConfig& config, const std::string& name);
// Resets config.settings to the named preset of config.type; false when the family has no such flavor.
bool apply_flavor(ModelConfig& config, const std::string& name);

// Parameters are initialised from torch's default generator (seed it first); the SSA sampler
// is seeded with `sampler_seed`.
std::shared_ptr<Model> build_model(const ModelConfig& config, uint64_t sampler_seed);

// Runs a model-side check and reports its ModelConfigError through `fail`.
void report_model_config_error(const std::function<void()>& check, const ReportProblem& fail);

}  // namespace ssa::models
