// Lookups over the registered model families (see model_registry.h).
#include "models/model_registry.h"

#include "lib/core/string_distance.h"

namespace ssa::models {

ModelConfig::ModelConfig() : type(model_families().front().name), settings(model_families().front().defaults()) {}

void ModelConfig::fail_cast() const {
  throw Error(ExitCode::kInternal, "model config: model.type is " + type + ", whose config is another struct");
}

std::vector<std::string> family_names() {
  std::vector<std::string> names;
  for (const auto& family : model_families()) names.push_back(family.name);
  return names;
}

const RegisteredFamily& find_family(const std::string& name) {
  for (const auto& family : model_families()) {
    if (family.name == name) return family;
  }
  throw ConfigError("model.type: unknown model family '" + name + "'; known: " + join(family_names()));
}

void select_family(ModelConfig& config, const std::string& name) {
  const auto& family = find_family(name);
  if (config.type == name && config.settings.type() == family.defaults().type()) return;
  config.type = name;
  config.settings = family.defaults();
}

bool apply_flavor(ModelConfig& config, const std::string& name) {
  const auto& family = find_family(config.type);
  for (const auto& known : family.flavor_names) {
    if (known == name) {
      config.settings = family.flavor(name);
      return true;
    }
  }
  return false;
}

std::shared_ptr<Model> build_model(const ModelConfig& config, uint64_t sampler_seed) {
  return find_family(config.type).build(config.settings, sampler_seed);
}

void report_model_config_error(const std::function<void()>& check, const ReportProblem& fail) {
  try {
    check();
  } catch (const ModelConfigError& e) {
    fail(e.key(), e.problem());
  }
}

}  // namespace ssa::models
