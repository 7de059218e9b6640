// The pre-LN transformer decoder (fairseq transformer_lm with ALiBi, GELU, optional final
// LayerNorm, tied or untied output, or adaptive input + tied adaptive softmax; or the LLaMA
// recipe: RoPE, RMSNorm, SwiGLU, grouped-query attention, no biases), with SSA in its last
// layers. Byte- or token-level inputs.
#pragma once
#include <memory>
#include <vector>

#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/dropout.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>

#include "lib/nn/grid_bias.h"
#include "lib/nn/rms_norm.h"
#include "lib/ssa/ssa_attention.h"
#include "models/decoder/adaptive_softmax.h"
#include "models/decoder/decoder_config.h"
#include "models/model.h"

namespace ssa::models {

// The adaptive input's bands for `config` (adaptive_cutoffs set). Throws ModelConfigError when the
// embeddings are untied (the adaptive softmax shares them) or the cutoffs or factor do not fit.
AdaptiveBands decoder_adaptive_bands(const DecoderConfig& config);

class DecoderBlockImpl : public torch::nn::Module {
 public:
  DecoderBlockImpl(const DecoderConfig& config, std::optional<double> sigma_fraction,
                   std::shared_ptr<attn::SourceSampler> sampler);
  // x: (B, T, C) -> (B, T, C). With a cache: incremental decoding (dense), x holds the positions
  // after the cached ones.
  at::Tensor forward(const at::Tensor& x, const attn::AttentionBias& bias, attn::KeyValueCache* cache = nullptr);

  // model.norm: LayerNorm or RMSNorm, the other null.
  torch::nn::LayerNorm attn_norm{nullptr}, ffn_norm{nullptr};
  nn::RmsNorm attn_rms_norm{nullptr}, ffn_rms_norm{nullptr};
  attn::SsaSelfAttention attn{nullptr};
  torch::nn::Linear fc1{nullptr}, fc2{nullptr};  // (d -> d_ff), (d_ff -> d); swiglu: fc1 is the gate
  torch::nn::Linear fc_up{nullptr};              // swiglu only: (d -> d_ff)
  at::Tensor grid_bias_table;                    // position grid_2d: ((2H-1)(2W-1), heads); undefined otherwise

 private:
  at::Tensor feed_forward(const at::Tensor& x);  // (B, T, C) -> (B, T, C)
  double dropout_, activation_dropout_;
};
TORCH_MODULE(DecoderBlock);

// Every layer's keys and values during incremental decoding (Decoder::forward with a cache).
struct DecoderCache {
  std::vector<attn::KeyValueCache> layers;
  int64_t length() const { return layers.empty() ? 0 : layers.front().length(); }  // positions seen
  void clear() { layers.clear(); }
};

class Decoder : public Model {
 public:
  Decoder(const DecoderConfig& config, uint64_t sampler_seed);

  // tokens: (B, T) int64 -> logits (B, T, V); with the adaptive softmax, its log-probabilities.
  // condition: (B, F) int64 DistAug ids (config.conditions); undefined = all identity (id 0).
  // With a cache (incremental decoding, dense attention, no dropout): tokens are the positions
  // after the cache's length(), and their keys and values are added to it; the logits equal
  // those of the same positions in one forward of the whole sequence.
  at::Tensor forward(const at::Tensor& tokens, const at::Tensor& condition = {}, DecoderCache* cache = nullptr);
  // tokens: (B, T) int64 -> hidden states before the output layer (B, T, C)
  at::Tensor features(const at::Tensor& tokens, const at::Tensor& condition = {}, DecoderCache* cache = nullptr);

  LossOutput loss(const Batch& batch) override;
  Prediction prediction_kind() const override { return Prediction::kTokenLogProbs; }
  at::Tensor predict(const Batch& batch) override;
  double forward_flops(const Batch& batch, bool dense_attention) const override;
  void set_attention_mode(attn::AttentionMode mode) override;
  attn::SourceSampler& sampler() override { return *sampler_; }
  double last_attention_fraction() const override;
  const DecoderConfig& config() const { return config_; }

 private:
  // (B, T) -> (B, T, C); the DistAug condition is added at position 0 when `tokens` start the
  // sequence (not when they continue a cached one).
  at::Tensor embed_tokens(const at::Tensor& tokens, const at::Tensor& condition, bool starts_sequence);
  attn::AttentionBias causal_alibi() const;
  attn::AttentionBias block_bias(const DecoderBlockImpl& block) const;  // by model.position
  attn::BiasFn causal_grid_bias(const DecoderBlockImpl& block) const;
  bool adaptive() const { return !config_.adaptive_cutoffs.empty(); }
  // (..., C) hidden states -> (..., V) logits; with the adaptive softmax, its log-probabilities.
  at::Tensor output_layer(const at::Tensor& x);

  DecoderConfig config_;
  std::shared_ptr<attn::SourceSampler> sampler_;
  torch::nn::Embedding embed_{nullptr};  // null with adaptive input
  AdaptiveInput adaptive_input_{nullptr};
  AdaptiveSoftmax adaptive_softmax_{nullptr};
  torch::nn::ModuleList blocks_{nullptr};
  std::vector<DecoderBlock> block_list_;
  torch::nn::LayerNorm final_norm_{nullptr};  // model.final_norm with layernorm
  nn::RmsNorm final_rms_norm_{nullptr};       // ... with rmsnorm
  torch::nn::Linear output_{nullptr};         // null when tied to embed_
  at::Tensor condition_table_;                // (sum of config.conditions, C); undefined when unconditional
  at::Tensor condition_offsets_;              // (F) first row of each family in condition_table_, a buffer
  at::Tensor slopes_;                         // (H) ALiBi slopes, a buffer (position alibi only)
};

}  // namespace ssa::models
