// Language-model evaluation in fairseq's semantics: sliding windows that each score
// seq_len - context new tokens with up to `context` tokens of prior context (context 0:
// consecutive non-overlapping sequences). Dense ("renormalized") attention always; optionally a
// self-ensemble that averages the probabilities of N independent SSA samples (paper Sec. 5).
#pragma once
#include <cstdint>
#include <vector>

#include <ATen/core/Tensor.h>

#include "lib/train/train_config.h"
#include "models/model.h"

namespace ssa::train {

struct LmScore {
  double loss = 0;            // mean NLL per scored token, nats
  double bits_per_token = 0;  // loss / ln 2 (bits per byte for byte data)
  double perplexity = 0;      // exp(loss)
};

struct EnsemblePoint {
  int64_t samples = 0;
  LmScore score;
};

struct EvalResult {
  LmScore dense;
  std::vector<EnsemblePoint> ensemble;  // at 1, 2, 4, ... and N samples; empty when off
  int64_t tokens = 0;                   // tokens scored
};

// One forward window: input stream[start : start+T], scoring its positions from `first_scored`.
struct EvalWindow {
  int64_t start = 0;
  int64_t first_scored = 0;
};

// The windows that score every target of the stream exactly once (positions 1 .. n-1).
std::vector<EvalWindow> sliding_windows(int64_t stream_length, int64_t seq_len, int64_t context);

// Evaluates `stream`; restores the model's training mode and SSA sampler state afterwards.
// max_windows > 0 limits the pass to the first windows (eval.batches x eval.batch_size).
EvalResult evaluate(models::Model& model, const at::Tensor& stream, int64_t seq_len,
                    const EvalConfig& config, const at::Device& device);

LmScore score_from_nll(double nll_sum, int64_t tokens);

}  // namespace ssa::train
