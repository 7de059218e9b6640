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

namespace {

torch::nn::Linear linear(int64_t in, int64_t out, bool bias) {
  return torch::nn::Linear(torch::nn::LinearOptions(in, out).bias(bias));
}

// fairseq's init, after every module of the block exists (the order of random draws is part of
// what a seed reproduces).
void init_linear(torch::nn::Linear& layer) {
  torch::nn::init::xavier_uniform_(layer->weight);
  if (layer->bias.defined()) torch::nn::init::zeros_(layer->bias);
}

// Registers the norm model.norm names as `name` in `module`: LayerNorm into `layer`, RMSNorm into `rms`.
void register_norm(torch::nn::Module& module, const DecoderConfig& c, const std::string& name,
                   torch::nn::LayerNorm& layer, nn::RmsNorm& rms) {
  if (c.norm == NormKind::kRmsNorm) {
    rms = module.register_module(name, nn::RmsNorm(c.d_model));
  } else {
    layer = module.register_module(name, torch::nn::LayerNorm(torch::nn::LayerNormOptions({c.d_model})));
  }
}

at::Tensor normed(torch::nn::LayerNorm& layer, nn::RmsNorm& rms, const at::Tensor& x) {
  return rms ? rms->forward(x) : layer->forward(x);
}

attn::SsaAttentionOptions attention_options(const DecoderConfig& c, std::optional<double> sigma_fraction) {
  attn::SsaAttentionOptions options{c.d_model, c.heads, c.attention_dropout, sigma_fraction, c.ssa};
  options.kv_heads = c.kv_heads;
  options.bias = c.bias;
  options.rope_theta = c.position == PositionKind::kRope ? c.rope_theta : 0.0;
  return options;
}

}  // namespace

DecoderBlockImpl::DecoderBlockImpl(const DecoderConfig& c, std::optional<double> sigma_fraction,
                                   std::shared_ptr<attn::SourceSampler> sampler)
    : dropout_(c.dropout), activation_dropout_(c.activation_dropout) {
  register_norm(*this, c, "attn_norm", attn_norm, attn_rms_norm);
  attn = register_module("attn", attn::SsaSelfAttention(attention_options(c, sigma_fraction), std::move(sampler)));
  register_norm(*this, c, "ffn_norm", ffn_norm, ffn_rms_norm);
  fc1 = register_module("fc1", linear(c.d_model, c.d_ff, c.bias));
  if (c.ffn == FfnKind::kSwiglu) fc_up = register_module("fc_up", linear(c.d_model, c.d_ff, c.bias));
  fc2 = register_module("fc2", linear(c.d_ff, c.d_model, c.bias));
  if (c.position == PositionKind::kGrid2d) {
    const nn::ImageGrid grid{c.image_height, c.image_width, c.image_channels};
    grid_bias_table = register_parameter("relative_position_bias_table", at::zeros({grid.table_size(), c.heads}));
    torch::nn::init::normal_(grid_bias_table, 0.0, 0.02);  // as Swin
  }
  init_linear(fc1);
  init_linear(fc2);
  if (fc_up) init_linear(fc_up);
}

at::Tensor DecoderBlockImpl::feed_forward(const at::Tensor& x) {
  const auto hidden = fc_up ? at::silu(fc1(x)) * fc_up(x) : at::gelu(fc1(x));                              // (B, T, F)
  return fc2(F::dropout(hidden, F::DropoutFuncOptions().p(activation_dropout_).training(is_training())));  // (B, T, C)
}

at::Tensor DecoderBlockImpl::forward(const at::Tensor& x, const attn::AttentionBias& bias, attn::KeyValueCache* cache) {
  const auto drop = [this](const at::Tensor& t) {
    return F::dropout(t, F::DropoutFuncOptions().p(dropout_).training(is_training()));
  };
  const auto a = normed(attn_norm, attn_rms_norm, x);                                      // (B, T, C)
  const auto h = x + drop(cache ? attn->forward_cached(a, bias, *cache) : attn(a, bias));  // (B, T, C)
  return h + drop(feed_forward(normed(ffn_norm, ffn_rms_norm, h)));                        // (B, T, C)
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
  if (config.final_norm) register_norm(*this, config, "final_norm", final_norm_, final_rms_norm_);
  if (!config.tie_embeddings) {
    output_ = register_module(
        "output", torch::nn::Linear(torch::nn::LinearOptions(config.d_model, config.vocab_size).bias(false)));
    torch::nn::init::normal_(output_->weight, 0.0, std::pow(static_cast<double>(config.d_model), -0.5));
  }
  if (config.position != PositionKind::kAlibi) return;  // RoPE and grid decoders carry no slopes
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

attn::AttentionBias Decoder::block_bias(const DecoderBlockImpl& block) const {
  if (config_.position == PositionKind::kGrid2d) return causal_grid_bias(block);
  return config_.position == PositionKind::kRope ? attn::AttentionBias::causal() : causal_alibi();
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

  if (cache) cache->layers.resize(block_list_.size());
  for (size_t l = 0; l < block_list_.size(); ++l) {
    auto* block = block_list_[l].get();
    const auto bias = block_bias(*block);
    if (cache) {
      x = block->forward(x, bias, &cache->layers[l]);
      continue;
    }
    x = run_block(
        [block, bias](const std::vector<at::Tensor>& in) { return std::vector{block->forward(in[0], bias, nullptr)}; },
        {x})[0];
  }
  if (config_.final_norm) x = normed(final_norm_, final_rms_norm_, x);
  return x;  // (B, T, C)
}

at::Tensor Decoder::output_layer(const at::Tensor& x) {
  if (adaptive()) {
    auto shape = x.sizes().vec();
    shape.back() = config_.vocab_size;
    return adaptive_softmax_->log_probs(x.reshape({-1, x.size(-1)})).reshape(shape);  // (..., V)
  }
  return config_.tie_embeddings ? at::matmul(x, embed_->weight.t()) : output_(x);  // (..., V)
}

at::Tensor Decoder::forward(const at::Tensor& tokens, const at::Tensor& condition, DecoderCache* cache) {
  return output_layer(features(tokens, condition, cache));  // (B, T, V)
}

// Only the scored positions reach the output layer: with sliding-window evaluation most of a
// window is context, and B x T x V floats for a large vocabulary are gigabytes.
at::Tensor Decoder::predict(const Batch& batch) {
  const auto x = features(batch.input, batch.condition);  // (B, T, C)
  auto rows = x.reshape({-1, x.size(-1)});                // (B * T, C)
  if (batch.target_mask.defined()) {
    rows = rows.index_select(0, batch.target_mask.to(rows.device()).reshape({-1}).nonzero().squeeze(1));  // (N, C)
  }
  const auto out = output_layer(rows).to(at::kFloat);  // (N, V)
  return adaptive() ? out : at::log_softmax(out, -1);  // the adaptive softmax gives log-probs
}

LossOutput Decoder::loss(const Batch& batch) {
  if (adaptive()) {                                         // exact NLL from only the targets' tails
    const auto x = features(batch.input, batch.condition);  // (B, T, C)
    const auto target_log_probs = adaptive_softmax_->target_log_probs(x.reshape({-1, x.size(-1)}),
                                                                      batch.target.reshape({-1}));  // (B * T)
    return {-target_log_probs.sum(), batch.target.numel()};
  }
  const auto logits = forward(batch.input, batch.condition);  // (B, T, V)
  const auto nll = F::cross_entropy(logits.reshape({-1, logits.size(-1)}).to(at::kFloat), batch.target.reshape({-1}),
                                    F::CrossEntropyFuncOptions().reduction(torch::kSum));
  return {nll, batch.target.numel()};
}

double Decoder::forward_flops(const Batch& batch, bool dense_attention) const {
  const auto d = static_cast<double>(config_.d_model), f = static_cast<double>(config_.d_ff);
  const int64_t length = batch.input.size(1);
  const auto tokens = static_cast<double>(batch.input.numel());
  const int64_t kv_heads = config_.kv_heads > 0 ? config_.kv_heads : config_.heads;
  const double kv = 2.0 * d * static_cast<double>(kv_heads) / static_cast<double>(config_.heads);  // k and v widths
  const double ffn = (config_.ffn == FfnKind::kSwiglu ? 3.0 : 2.0) * d * f;                        // fc1 (fc_up) fc2
  const double per_layer_linear = 2.0 * tokens * (d * (2.0 * d + kv) + ffn);                       // qkv, out, FFN
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
