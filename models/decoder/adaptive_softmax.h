// fairseq's adaptive softmax with tied weights (fairseq/modules/adaptive_softmax.py with
// tie_adaptive_weights and tie_adaptive_proj, model-specs.md A.1). The head scores band 0's words
// with band 0's input embedding plus one logit per tail cluster (class_proj); tail i maps the
// hidden state through band i's input projection transposed, dropout, and band i's embedding.
// log p(w) = log p_head(w) for band 0, log p_head(cluster i) + log p_tail_i(w) otherwise, so the
// loss is the exact negative log-likelihood. Dropout applies to the head input and inside tails.
#pragma once
#include <torch/nn/modules/linear.h>

#include "models/decoder/adaptive_input.h"

namespace ssa::models {

class AdaptiveSoftmaxImpl : public torch::nn::Module {
 public:
  // Ties to `input`'s weights (they stay registered there); registers only class_proj.
  AdaptiveSoftmaxImpl(AdaptiveInput input, int64_t d_model, double dropout);

  // hidden (N, C), target (N) int64 -> (N) float32 log p(target).
  at::Tensor target_log_probs(const at::Tensor& hidden, const at::Tensor& target);
  // hidden (N, C) -> (N, V) float32 log-probabilities over the whole vocabulary.
  at::Tensor log_probs(const at::Tensor& hidden);
  // Multiply-adds x 2 for scoring targets (N) int64: the head for all, each tail for its words.
  double flops(const at::Tensor& target) const;

  torch::nn::Linear class_proj{nullptr};  // d_model -> tail clusters, no bias

 private:
  at::Tensor drop(const at::Tensor& x) const;
  at::Tensor head_log_probs(const at::Tensor& hidden) const;                // (N, V0 + K)
  at::Tensor tail_log_probs(const at::Tensor& hidden, int64_t tail) const;  // (n, size of band tail+1)

  AdaptiveInput input_;
  int64_t d_model_;
  double dropout_;
};
TORCH_MODULE(AdaptiveSoftmax);

}  // namespace ssa::models
