// Which layers of a model use SSA and with which noise: SSA in the last `layers` layers
// ("S12" = last 12), sigma rising linearly from sigma_first to sigma_last over those layers.
#pragma once
#include <cstdint>
#include <optional>
#include <vector>

#include "lib/ssa/ssa_config.h"

namespace ssa::attn {

// One entry per layer: nullopt for a dense layer, else the layer's sigma as a fraction of T.
std::vector<std::optional<double>> ssa_layer_plan(const SsaConfig& config, int64_t num_layers);

}  // namespace ssa::attn
