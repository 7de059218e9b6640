// Builds the configured model family. The one list of model families.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "models/model.h"
#include "models/model_config.h"

namespace ssa::models {

// Parameters are initialised from torch's default generator (seed it first); the SSA sampler
// is seeded with `sampler_seed`.
std::shared_ptr<Model> build_model(const ModelConfig& config, uint64_t sampler_seed);

// Every model family, in the order `model.type` lists them, and each one's config spelling.
std::vector<ModelFamily> model_families();
const char* family_name(ModelFamily family);  // "decoder", "swin", "egt"

// Named presets of the family `type`.
std::vector<std::string> flavor_names(ModelFamily type);

// Resets the sub-config of config.type to the named preset; false when the family has no such flavor.
bool apply_flavor(ModelConfig& config, const std::string& name);

}  // namespace ssa::models
