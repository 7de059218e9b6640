// The small interface the trainer needs from any model family: a loss on a batch, predictions
// the evaluator can ensemble, the switch between subsampled and dense attention, the SSA
// sampler to seed and checkpoint, and activation checkpointing of its blocks.
#pragma once
#include <memory>

#include <torch/nn/module.h>

#include "lib/core/batch.h"
#include "lib/nn/activation_checkpoint.h"
#include "lib/ssa/source_sampler.h"

namespace ssa::models {

using data::Batch;

struct LossOutput {
  at::Tensor sum;     // scalar: the training loss summed over the targets (NLL in nats; L1 for regression)
  int64_t count = 0;  // number of targets summed (tokens, sub-pixels, images, graphs)
};

// What predict() returns, which decides how the evaluator scores and ensembles it.
enum class Prediction {
  // (N, V) log-probabilities over the vocabulary at the N scored positions (Batch::target_mask,
  // row-major; all B x T when undefined): language models, pixel generation
  kTokenLogProbs,
  kClassLogProbs,  // (B, K) log-probabilities over classes: classification
  kValues,         // (B) predicted values: regression
};

class Model : public torch::nn::Module {
 public:
  virtual LossOutput loss(const Batch& batch) = 0;
  virtual Prediction prediction_kind() const = 0;
  // See Prediction for the shape. Float32 whatever the autocast dtype. Used by evaluation and ensembles.
  virtual at::Tensor predict(const Batch& batch) = 0;
  // Multiply-adds x 2 of one forward pass over inputs shaped like `batch`, counting attention at
  // the fractions computed in the last forward (dense_attention: as if every layer were dense).
  virtual double forward_flops(const Batch& batch, bool dense_attention) const = 0;
  virtual void set_attention_mode(attn::AttentionMode mode) = 0;
  virtual attn::SourceSampler& sampler() = 0;
  // Mean over all attention layers of the fraction of the T x T score matrix computed in the
  // last forward (dense layers count as 1): the attention compute relative to dense.
  virtual double last_attention_fraction() const = 0;
  int64_t parameter_count() const;
  // train.activation_checkpointing: every block keeps only its inputs and is recomputed in
  // backward with the same SSA sources, dropout masks and drop-path rows (docs/ssa.md).
  void set_activation_checkpointing(bool on) { checkpointing_ = on; }

 protected:
  // block(inputs); checkpointed when enabled, the SSA sampler replayed with torch's generators.
  std::vector<at::Tensor> run_block(const nn::BlockFn& block, const std::vector<at::Tensor>& inputs);

 private:
  bool checkpointing_ = false;
};

}  // namespace ssa::models
