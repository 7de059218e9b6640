// Model family dispatch (see model_factory.h).
#include "models/model_factory.h"

#include <algorithm>

#include "lib/core/error.h"
#include "models/decoder/decoder.h"
#include "models/egt/egt.h"
#include "models/swin/swin.h"

namespace ssa::models {

std::shared_ptr<Model> build_model(const ModelConfig& config, uint64_t sampler_seed) {
  switch (config.type) {
    case ModelFamily::kDecoder: return std::make_shared<Decoder>(config.decoder, sampler_seed);
    case ModelFamily::kSwin: return std::make_shared<Swin>(config.swin, sampler_seed);
    case ModelFamily::kEgt: return std::make_shared<Egt>(config.egt, sampler_seed);
  }
  throw Error(ExitCode::kInternal, "build_model: model family " + std::to_string(static_cast<int>(config.type)));
}

std::vector<ModelFamily> model_families() { return {ModelFamily::kDecoder, ModelFamily::kSwin, ModelFamily::kEgt}; }

const char* family_name(ModelFamily family) {
  switch (family) {
    case ModelFamily::kDecoder: return "decoder";
    case ModelFamily::kSwin: return "swin";
    case ModelFamily::kEgt: return "egt";
  }
  return "unknown";
}

std::vector<std::string> flavor_names(ModelFamily type) {
  switch (type) {
    case ModelFamily::kDecoder: return decoder_flavor_names();
    case ModelFamily::kSwin: return swin_flavor_names();
    case ModelFamily::kEgt: return egt_flavor_names();
  }
  return {};
}

bool apply_flavor(ModelConfig& config, const std::string& name) {
  const auto names = flavor_names(config.type);
  if (std::find(names.begin(), names.end(), name) == names.end()) return false;
  switch (config.type) {
    case ModelFamily::kDecoder: config.decoder = decoder_flavor(name); break;
    case ModelFamily::kSwin: config.swin = swin_flavor(name); break;
    case ModelFamily::kEgt: config.egt = egt_flavor(name); break;
  }
  return true;
}

}  // namespace ssa::models
