// Validation: dense-attention negative log-likelihood over a token stream in consecutive
// non-overlapping sequences, reported in nats, bits per token (BPB for byte data) and perplexity.
#pragma once
#include <cstdint>

#include <ATen/core/Tensor.h>

#include "lib/train/train_config.h"
#include "models/model.h"

namespace ssa::train {

struct EvalResult {
  double loss = 0;            // mean NLL per token, nats
  double bits_per_token = 0;  // loss / ln 2 (BPB when tokens are bytes)
  double perplexity = 0;      // exp(loss)
  int64_t tokens = 0;
};

// Leaves the model in training mode afterwards.
EvalResult evaluate(models::Model& model, const at::Tensor& stream, int64_t seq_len,
                    const EvalConfig& config, const at::Device& device);

}  // namespace ssa::train
