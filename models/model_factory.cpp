// Model family dispatch (see model_factory.h).
#include "models/model_factory.h"

#include "lib/core/error.h"
#include "models/decoder/decoder.h"

namespace ssa::models {

std::shared_ptr<Model> build_model(const ModelConfig& config, uint64_t sampler_seed) {
  if (config.type == "decoder") return std::make_shared<Decoder>(config.decoder, sampler_seed);
  throw ConfigError("model.type: unknown model family '" + config.type + "'");
}

}  // namespace ssa::models
