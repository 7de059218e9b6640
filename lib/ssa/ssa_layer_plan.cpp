// Per-layer SSA plan (see ssa_layer_plan.h).
#include "lib/ssa/ssa_layer_plan.h"

#include <algorithm>

namespace ssa::attn {

std::vector<std::optional<double>> ssa_layer_plan(const SsaConfig& config, int64_t num_layers) {
  const int64_t count = config.layers < 0 ? num_layers : std::min(config.layers, num_layers);
  std::vector<std::optional<double>> plan(static_cast<size_t>(num_layers));
  for (int64_t k = 0; k < count; ++k) {
    // The deepest layer gets sigma_last; a single SSA layer is the deepest one.
    const double t = count == 1 ? 1.0 : static_cast<double>(k) / static_cast<double>(count - 1);
    plan[static_cast<size_t>(num_layers - count + k)] = config.sigma_first + t * (config.sigma_last - config.sigma_first);
  }
  return plan;
}

}  // namespace ssa::attn
