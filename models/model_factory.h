// Builds the configured model family. The one list of model families.
#pragma once
#include <memory>

#include "models/model.h"
#include "models/model_config.h"

namespace ssa::models {

// Parameters are initialised from torch's default generator (seed it first); the SSA sampler
// is seeded with `sampler_seed`.
std::shared_ptr<Model> build_model(const ModelConfig& config, uint64_t sampler_seed);

}  // namespace ssa::models
