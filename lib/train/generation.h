// Autoregressive generation from a trained decoder (`ssa-train sample`): a byte-level language
// model continues a prompt; a pixel model draws an image sub-pixel by sub-pixel in raster order
// from its begin token. Dense attention, no gradients. Each layer's keys and values are cached,
// so a token costs one position's forward while the context fits the window; past it, the last
// `window` tokens are recomputed per token, as the model was trained on windows of that length.
#pragma once
#include <cstdint>

#include <ATen/ATen.h>

#include "lib/train/generation_options.h"
#include "models/decoder/decoder.h"

namespace ssa::train {

// The next token for last-position `scores` (V) (logits, or log-probabilities from an adaptive
// softmax): the argmax at temperature 0, else a draw from softmax(scores / temperature) over the
// top_k highest scores.
int64_t next_token(const at::Tensor& scores, const GenerationOptions& options, at::Generator& generator);

// `context` (T0) int64 followed by `count` generated tokens: (T0 + count). Each step feeds the
// model the last `window` tokens at most. `condition` (1, F): DistAug ids (undefined = identity).
at::Tensor generate(models::Decoder& model, const at::Tensor& context, int64_t count, int64_t window,
                    const GenerationOptions& options, const at::Tensor& condition = {});

}  // namespace ssa::train
