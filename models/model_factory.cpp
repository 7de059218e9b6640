// Model family dispatch (see model_factory.h).
#include "models/model_factory.h"

#include "lib/core/error.h"
#include "models/decoder/decoder.h"
#include "models/egt/egt.h"

namespace ssa::models {

std::shared_ptr<Model> build_model(const ModelConfig& config, uint64_t sampler_seed) {
  if (config.type == "decoder") return std::make_shared<Decoder>(config.decoder, sampler_seed);
  if (config.type == "egt") return std::make_shared<Egt>(config.egt, sampler_seed);
  throw ConfigError("model.type: unknown model family '" + config.type + "'");
}

std::vector<std::string> model_flavor_names(const std::string& type) {
  if (type == "egt") return egt_flavor_names();
  return decoder_flavor_names();
}

void apply_model_flavor(ModelConfig& config, const std::string& name) {
  if (config.type == "egt") {
    config.egt = egt_flavor(name);
  } else {
    config.decoder = decoder_flavor(name);
  }
}

}  // namespace ssa::models
