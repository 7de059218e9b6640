// The empirical source-sampling probability of an SSA layer: P[target i attends to source j],
// estimated from many draws (the paper's Fig. 5). Pure sampler statistics; no model involved.
#pragma once
#include <cstdint>

#include <ATen/core/Tensor.h>

#include "lib/ssa/source_sampler.h"

namespace ssa::attn {

// (T, T) double: the fraction of `samples` draws in which target i attends to source j.
// Causal variants count only j <= i, as the causal mask removes the rest.
at::Tensor sampling_probability(SourceSampler& sampler, const SsaConfig& config, int64_t length, double sigma_fraction,
                                int64_t samples);

}  // namespace ssa::attn
