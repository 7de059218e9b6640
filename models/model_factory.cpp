// Model family dispatch (see model_factory.h).
#include "models/model_factory.h"

#include <algorithm>

#include "lib/core/error.h"
#include "models/decoder/decoder.h"
#include "models/egt/egt.h"
#include "models/swin/swin.h"

namespace ssa::models {

std::shared_ptr<Model> build_model(const ModelConfig& config, uint64_t sampler_seed) {
  if (config.type == "decoder") return std::make_shared<Decoder>(config.decoder, sampler_seed);
  if (config.type == "swin") return std::make_shared<Swin>(config.swin, sampler_seed);
  if (config.type == "egt") return std::make_shared<Egt>(config.egt, sampler_seed);
  throw ConfigError("model.type: unknown model family '" + config.type + "'");
}

std::vector<std::string> model_types() { return {"decoder", "swin", "egt"}; }

std::vector<std::string> flavor_names(const std::string& type) {
  if (type == "swin") return swin_flavor_names();
  if (type == "egt") return egt_flavor_names();
  return decoder_flavor_names();
}

bool apply_flavor(ModelConfig& config, const std::string& name) {
  const auto names = flavor_names(config.type);
  if (std::find(names.begin(), names.end(), name) == names.end()) return false;
  if (config.type == "swin") config.swin = swin_flavor(name);
  if (config.type == "egt") config.egt = egt_flavor(name);
  if (config.type == "decoder") config.decoder = decoder_flavor(name);
  return true;
}

}  // namespace ssa::models
