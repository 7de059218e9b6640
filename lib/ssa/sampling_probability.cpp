// Empirical sampling probabilities (see sampling_probability.h).
#include "lib/ssa/sampling_probability.h"

#include <ATen/ATen.h>

#include "lib/ssa/ssa_variants.h"

namespace ssa::attn {

at::Tensor sampling_probability(SourceSampler& sampler, const SsaConfig& config, int64_t length, double sigma_fraction,
                                int64_t samples) {
  auto counts = at::zeros({length, length}, at::kDouble);  // (T, T)
  for (int64_t n = 0; n < samples; ++n) {
    const SourceSample s = sampler.sample(config, length, sigma_fraction);
    const int64_t per_window = length / s.windows;
    // Target i of window w attends to every source of sources[w]: mark (i, j) pairs per window.
    auto hit = at::zeros({s.windows, length}, at::kDouble);  // (n_w, T)
    hit.scatter_(1, s.sources, 1.0);
    auto rows = hit.repeat_interleave(per_window, 0);  // (T, T) in window order
    if (s.targets.defined()) rows = rows.index_select(0, s.targets.reshape({-1}).argsort());
    counts += rows;
  }
  auto probability = counts / static_cast<double>(samples);
  if (is_causal(config.variant)) probability = probability.tril();
  return probability;
}

}  // namespace ssa::attn
