// Pre-LN ALiBi decoder with SSA (see decoder.h). Init follows fairseq: embeddings N(0, d^-1/2),
// linear weights Xavier-uniform, biases zero.
#include "models/decoder/decoder.h"

#include <cmath>

#include <ATen/ATen.h>
#include <torch/nn/functional/activation.h>
#include <torch/nn/functional/dropout.h>
#include <torch/nn/functional/loss.h>
#include <torch/nn/init.h>

#include "lib/core/error.h"
#include "lib/nn/alibi.h"
#include "lib/ssa/ssa_layer_plan.h"

namespace ssa::models {
namespace F = torch::nn::functional;

int64_t Model::parameter_count() const {
  int64_t n = 0;
  for (const auto& p : parameters()) n += p.numel();
  return n;
}

DecoderBlockImpl::DecoderBlockImpl(const DecoderConfig& c, std::optional<double> sigma_fraction,
                                   std::shared_ptr<attn::SourceSampler> sampler)
    : dropout_(c.dropout), activation_dropout_(c.activation_dropout) {
  attn::SsaAttentionOptions options{c.d_model, c.heads, c.attention_dropout, sigma_fraction, c.ssa};
  attn_norm = register_module("attn_norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({c.d_model})));
  attn = register_module("attn", attn::SsaSelfAttention(options, std::move(sampler)));
  ffn_norm = register_module("ffn_norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({c.d_model})));
  fc1 = register_module("fc1", torch::nn::Linear(c.d_model, c.d_ff));
  fc2 = register_module("fc2", torch::nn::Linear(c.d_ff, c.d_model));
  if (c.position == "grid_2d") {
    const nn::ImageGrid grid{c.image_height, c.image_width, c.image_channels};
    grid_bias_table = register_parameter("relative_position_bias_table", at::zeros({grid.table_size(), c.heads}));
    torch::nn::init::normal_(grid_bias_table, 0.0, 0.02);  // as Swin
  }
  for (auto* linear : {&fc1, &fc2}) {
    torch::nn::init::xavier_uniform_((*linear)->weight);
    torch::nn::init::zeros_((*linear)->bias);
  }
}

at::Tensor DecoderBlockImpl::forward(const at::Tensor& x, const attn::AttentionBias& bias, attn::KeyValueCache* cache) {
  const auto drop = [this](const at::Tensor& t, double p) {
    return F::dropout(t, F::DropoutFuncOptions().p(p).training(is_training()));
  };
  const auto normed = attn_norm(x);                                                                      // (B, T, C)
  auto h = x + drop(cache ? attn->forward_cached(normed, bias, *cache) : attn(normed, bias), dropout_);  // (B, T, C)
  auto ff = drop(at::gelu(fc1(ffn_norm(h))), activation_dropout_);                                       // (B, T, F)
  return h + drop(fc2(ff), dropout_);                                                                    // (B, T, C)
}

AdaptiveBands decoder_adaptive_bands(const DecoderConfig& config) {
  if (!config.tie_embeddings) {
    throw ModelConfigError("tie_embeddings", "the adaptive softmax is tied to the adaptive input; set it to true");
  }
  return adaptive_bands(config.vocab_size, config.d_model, config.adaptive_cutoffs, config.adaptive_factor);
}

Decoder::Decoder(const DecoderConfig& config, uint64_t sampler_seed)
    : config_(config), sampler_(std::make_shared<attn::SourceSampler>(sampler_seed)) {
  if (adaptive()) {
    const auto bands = decoder_adaptive_bands(config);
    adaptive_input_ = register_module("adaptive_input", AdaptiveInput(bands, config.d_model));
    adaptive_softmax_ = register_module("adaptive_softmax",
                                        AdaptiveSoftmax(adaptive_input_, config.d_model, config.adaptive_dropout));
  } else {
    embed_ = register_module("embed", torch::nn::Embedding(config.vocab_size, config.d_model));
    torch::nn::init::normal_(embed_->weight, 0.0, std::pow(static_cast<double>(config.d_model), -0.5));
  }
  if (!config.conditions.empty()) {
    std::vector<int64_t> offsets{0};
    for (size_t f = 0; f + 1 < config.conditions.size(); ++f) offsets.push_back(offsets.back() + config.conditions[f]);
    const int64_t rows = offsets.back() + config.conditions.back();
    condition_table_ = register_parameter("embed_condition", at::empty({rows, config.d_model}));
    torch::nn::init::normal_(condition_table_, 0.0, std::pow(static_cast<double>(config.d_model), -0.5));
    condition_offsets_ = register_buffer("condition_offsets", at::tensor(offsets, at::kLong));
  }
  blocks_ = register_module("blocks", torch::nn::ModuleList());
  const auto plan = attn::ssa_layer_plan(config.ssa, config.layers);
  for (int64_t l = 0; l < config.layers; ++l) {
    block_list_.emplace_back(config, plan[static_cast<size_t>(l)], sampler_);
    blocks_->push_back(block_list_.back());
  }
  if (config.final_norm) {
    final_norm_ = register_module("final_norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({config.d_model})));
  }
  if (!config.tie_embeddings) {
    output_ = register_module(
        "output", torch::nn::Linear(torch::nn::LinearOptions(config.d_model, config.vocab_size).bias(false)));
    torch::nn::init::normal_(output_->weight, 0.0, std::pow(static_cast<double>(config.d_model), -0.5));
  }
  const auto slopes = nn::alibi_slopes(config.heads);
  slopes_ = register_buffer("alibi_slopes", at::tensor(std::vector<float>(slopes.begin(), slopes.end()), at::kFloat));
}

attn::AttentionBias Decoder::causal_alibi() const {
  const at::Tensor slopes = slopes_;
  const attn::BiasFn bias = [slopes](const at::Tensor& targets, const at::Tensor& sources) {
    return nn::alibi_bias(slopes, targets, sources, /*causal=*/true);  // (H, G, Tq, S)
  };
  return {bias, slopes};
}

attn::BiasFn Decoder::causal_grid_bias(const DecoderBlockImpl& block) const {
  const nn::ImageGrid grid{config_.image_height, config_.image_width, config_.image_channels};
  const at::Tensor table = block.grid_bias_table;
  return [grid, table](const at::Tensor& targets, const at::Tensor& sources) {
    return nn::grid_relative_bias(grid, table, targets, sources, /*causal=*/true);  // (H, G, Tq, S)
  };
}

// Token embeddings, with the DistAug condition vector added at the begin token (position 0).
at::Tensor Decoder::embed_tokens(const at::Tensor& tokens, const at::Tensor& condition, bool starts_sequence) {
  auto x = adaptive() ? adaptive_input_(tokens) : embed_(tokens);  // (B, T, C)
  if (!starts_sequence || !condition_table_.defined()) return x;
  const int64_t batch = tokens.size(0), families = condition_offsets_.size(0);
  const auto ids = condition.defined() ? condition : at::zeros({batch, families}, tokens.options());  // (B, F)
  const auto rows = (ids + condition_offsets_).reshape({-1});                                         // (B * F)
  const auto vector = condition_table_.index_select(0, rows).view({batch, families, -1}).sum(1);      // (B, C)
  return at::cat({x.slice(1, 0, 1) + vector.unsqueeze(1).to(x.scalar_type()), x.slice(1, 1)}, 1);     // (B, T, C)
}

at::Tensor Decoder::features(const at::Tensor& tokens, const at::Tensor& condition, DecoderCache* cache) {
  auto x = embed_tokens(tokens, condition, /*starts_sequence=*/!cache || cache->length() == 0);  // (B, T, C)
  if (config_.scale_embedding) x = x * std::sqrt(static_cast<double>(config_.d_model));
  x = F::dropout(x, F::DropoutFuncOptions().p(config_.dropout).training(is_training()));
  const bool grid = config_.position == "grid_2d";
  const auto alibi = causal_alibi();
  if (cache) cache->layers.resize(block_list_.size());
  for (size_t l = 0; l < block_list_.size(); ++l) {
    auto& block = block_list_[l];
    x = block->forward(x, grid ? causal_grid_bias(*block) : alibi, cache ? &cache->layers[l] : nullptr);
  }
  if (config_.final_norm) x = final_norm_(x);
  return x;  // (B, T, C)
}

at::Tensor Decoder::forward(const at::Tensor& tokens, const at::Tensor& condition, DecoderCache* cache) {
  const auto x = features(tokens, condition, cache);  // (B, T, C)
  if (adaptive()) {
    auto shape = tokens.sizes().vec();
    shape.push_back(config_.vocab_size);
    return adaptive_softmax_->log_probs(x.reshape({-1, x.size(-1)})).reshape(shape);  // (B, T, V)
  }
  return config_.tie_embeddings ? at::matmul(x, embed_->weight.t()) : output_(x);  // (B, T, V)
}

at::Tensor Decoder::predict(const Batch& batch) {
  if (adaptive()) {
    const auto x = features(batch.input, batch.condition);  // (B, T, C)
    return adaptive_softmax_->target_log_probs(x.reshape({-1, x.size(-1)}), batch.target.reshape({-1}))
        .reshape(batch.target.sizes());  // (B, T)
  }
  const auto log_probs = at::log_softmax(forward(batch.input, batch.condition).to(at::kFloat), -1);  // (B, T, V)
  return log_probs.gather(-1, batch.target.unsqueeze(-1)).squeeze(-1);                               // (B, T)
}

LossOutput Decoder::loss(const Batch& batch) {
  if (adaptive()) return {-predict(batch).sum(), batch.target.numel()};  // exact NLL, only the targets' tails
  const auto logits = forward(batch.input, batch.condition);             // (B, T, V)
  const auto nll = F::cross_entropy(logits.reshape({-1, logits.size(-1)}).to(at::kFloat), batch.target.reshape({-1}),
                                    F::CrossEntropyFuncOptions().reduction(torch::kSum));
  return {nll, batch.target.numel()};
}

double Decoder::forward_flops(const Batch& batch, bool dense_attention) const {
  const auto d = static_cast<double>(config_.d_model), f = static_cast<double>(config_.d_ff);
  const int64_t length = batch.input.size(1);
  const auto tokens = static_cast<double>(batch.input.numel());
  const double per_layer_linear = 2.0 * tokens * (4.0 * d * d + 2.0 * d * f);  // qkv, out, fc1, fc2
  double flops = adaptive() ? adaptive_softmax_->flops(batch.target) + adaptive_input_->flops(batch.input)
                            : 2.0 * tokens * d * static_cast<double>(config_.vocab_size);  // output projection
  for (const auto& block : block_list_) {
    const double fraction = dense_attention ? 1.0 : block->attn->last_attention_fraction();
    const double scores = tokens * fraction * static_cast<double>(length);  // entries of Q K^T
    flops += per_layer_linear + 2.0 * 2.0 * scores * d;                     // Q K^T and P V
  }
  return flops;
}

void Decoder::set_attention_mode(attn::AttentionMode mode) {
  for (auto& block : block_list_) block->attn->set_mode(mode);
}

double Decoder::last_attention_fraction() const {
  double sum = 0;
  for (const auto& block : block_list_) sum += block->attn->last_attention_fraction();
  return block_list_.empty() ? 1.0 : sum / static_cast<double>(block_list_.size());
}

}  // namespace ssa::models
