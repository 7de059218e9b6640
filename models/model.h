// The small interface the trainer needs from any model family: a loss on a batch, the switch
// between subsampled and dense attention, and the SSA sampler to seed and checkpoint.
#pragma once
#include <memory>

#include <torch/nn/module.h>

#include "lib/data/batch.h"
#include "lib/ssa/source_sampler.h"

namespace ssa::models {

using data::Batch;

struct LossOutput {
  at::Tensor nll_sum;  // scalar: summed negative log-likelihood (nats) over the targets
  int64_t count = 0;   // number of targets summed
};

class Model : public torch::nn::Module {
 public:
  virtual LossOutput loss(const Batch& batch) = 0;
  // log p(target | input) for every position: (B, T) float. Used by evaluation and ensembles.
  virtual at::Tensor target_log_probs(const Batch& batch) = 0;
  // Multiply-adds x 2 of one forward pass over (batch, length) inputs, counting attention at
  // the fractions computed in the last forward (dense_attention: as if every layer were dense).
  virtual double forward_flops(int64_t batch, int64_t length, bool dense_attention) const = 0;
  virtual void set_attention_mode(attn::AttentionMode mode) = 0;
  virtual attn::SourceSampler& sampler() = 0;
  // Mean over all attention layers of the fraction of the T x T score matrix computed in the
  // last forward (dense layers count as 1): the attention compute relative to dense.
  virtual double last_attention_fraction() const = 0;
  int64_t parameter_count() const;
};

}  // namespace ssa::models
