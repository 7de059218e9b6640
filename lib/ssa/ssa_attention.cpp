// Gather-based SSA attention (see ssa_attention.h).
#include "lib/ssa/ssa_attention.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <ATen/ATen.h>
#include <torch/nn/init.h>

#include "lib/core/torch_compat.h"
#include "lib/nn/rope.h"
#include "lib/ssa/alibi_attention.h"

namespace ssa::attn {

bool uses_alibi_channels(const AttentionBias& bias, const SourceSample& sample, at::ScalarType type) {
  return compat::kFusedAttention && bias.causal_alibi_slopes.defined() && !sample.targets.defined() &&
         (type == at::kFloat || type == at::kDouble);
}

AttentionBias AttentionBias::causal() {
  AttentionBias bias([](const at::Tensor& targets, const at::Tensor& sources) {
    const auto future = sources.unsqueeze(1) > targets.unsqueeze(2);  // (G, Tq, S)
    return at::zeros(future.sizes(), sources.options().dtype(at::kFloat))
        .masked_fill(future, -std::numeric_limits<float>::infinity())
        .unsqueeze(0);  // (1, G, Tq, S)
  });
  bias.causal_only = true;
  return bias;
}

at::Tensor subsampled_attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                const SourceSample& sample, const AttentionBias& bias, double dropout_p, bool training) {
  if (uses_alibi_channels(bias, sample, q.scalar_type())) {
    return causal_alibi_attention(q, k, v, sample, bias.causal_alibi_slopes, dropout_p, training);
  }
  if (bias.causal_only && !sample.targets.defined()) {
    const double scale = 1.0 / std::sqrt(static_cast<double>(q.size(3)));
    return causal_window_attention(q, k, v, sample, scale, dropout_p, training);
  }
  const int64_t batch = q.size(0), heads = q.size(1), length = q.size(2), dim = q.size(3);
  const int64_t windows = sample.windows;
  const int64_t per_window = length / windows;         // Tq
  const auto sources = sample.sources.to(q.device());  // (G, S)
  const int64_t kept = sources.size(1);                // S
  const auto flat = sources.reshape({-1});             // (G*S)
  // Gather keys and values at the sampled positions: (B, H, G*S, D) -> (B, H*G, S, D). One
  // window of T ascending sources is every position (dense): nothing to gather.
  const bool every_source = windows == 1 && kept == length;
  const auto gathered = [&](const at::Tensor& x) {  // once per kv head, then shared by its query heads
    return every_source ? repeat_kv_heads(x, heads)
                        : repeat_kv_heads(x.index_select(2, flat), heads).reshape({batch, heads * windows, kept, dim});
  };
  const auto k_s = gathered(k), v_s = gathered(v);
  // Contiguous target windows are a view; listed ones (Swin sub-windows) are gathered.
  const bool listed = sample.targets.defined();
  const auto targets = listed ? sample.targets.to(q.device())
                              : at::arange(length, sources.options()).view({windows, per_window});  // (G, Tq)
  const auto q_w = (listed ? q.index_select(2, targets.reshape({-1})) : q)
                       .reshape({batch, heads * windows, per_window, dim});  // (B, H*G, Tq, D)
  const auto raw = bias.fn(targets, sources);  // (H, G, Tq, S), or (B, H, G, Tq, S) when it varies by sequence
  const auto b = raw.dim() == 5 ? raw.expand({batch, heads, windows, per_window, kept})
                                      .reshape({batch, heads * windows, per_window, kept})  // (B, H*G, Tq, S)
                                : raw.expand({heads, windows, per_window, kept})
                                      .reshape({1, heads * windows, per_window, kept});  // (1, H*G, Tq, S)
  const auto y = compat::attention(q_w, k_s, v_s, b, dropout_p, training)
                     .reshape({batch, heads, length, dim});                // (B, H, T, D) in window order
  return listed ? y.index_select(2, targets.reshape({-1}).argsort()) : y;  // back to sequence order
}

namespace {

// Reallocates the cache's buffers for `capacity` positions, keeping the filled ones.
void grow(KeyValueCache& cache, const at::Tensor& like, int64_t capacity) {
  const auto grown = [&](const at::Tensor& old) {
    auto fresh = at::empty({like.size(0), like.size(1), capacity, like.size(3)}, like.options());  // (B, H, cap, D)
    if (cache.filled > 0) fresh.slice(2, 0, cache.filled).copy_(old.slice(2, 0, cache.filled));
    return fresh;
  };
  cache.keys = grown(cache.keys);
  cache.values = grown(cache.values);
}

}  // namespace

double attention_fraction(const SourceSample& sample, int64_t length) {
  const double computed = static_cast<double>(length) * static_cast<double>(sample.sources.size(1));
  return computed / (static_cast<double>(length) * static_cast<double>(length));
}

SsaSelfAttentionImpl::SsaSelfAttentionImpl(const SsaAttentionOptions& options, std::shared_ptr<SourceSampler> sampler)
    : options_(options), sampler_(std::move(sampler)) {
  const int64_t head_dim = options.d_model / options.heads, kv_width = kv_heads() * head_dim;
  qkv = register_module(
      "qkv",
      torch::nn::Linear(torch::nn::LinearOptions(options.d_model, options.d_model + 2 * kv_width).bias(options.bias)));
  out = register_module(
      "out", torch::nn::Linear(torch::nn::LinearOptions(options.d_model, options.d_model).bias(options.bias)));
  for (auto* linear : {&qkv, &out}) {
    torch::nn::init::xavier_uniform_((*linear)->weight);
    if ((*linear)->bias.defined()) torch::nn::init::zeros_((*linear)->bias);
  }
}

std::vector<at::Tensor> SsaSelfAttentionImpl::project(const at::Tensor& x, int64_t start) {
  const int64_t batch = x.size(0), length = x.size(1), heads = options_.heads, dim = options_.d_model / heads;
  std::vector<at::Tensor> parts;
  if (kv_heads() == heads) {  // (B, T, 3C) -> 3 x (B, H, T, D)
    parts = qkv(x).view({batch, length, 3, heads, dim}).permute({2, 0, 3, 1, 4}).unbind(0);
  } else {  // (B, T, (H + 2 Hkv) D) -> (B, H, T, D), 2 x (B, Hkv, T, D)
    const auto split = qkv(x).split_with_sizes({heads * dim, kv_heads() * dim, kv_heads() * dim}, -1);
    for (const auto& part : split) parts.push_back(part.view({batch, length, -1, dim}).transpose(1, 2));
  }
  if (options_.rope_theta > 0) {
    const auto positions = at::arange(start, start + length, x.options().dtype(at::kLong));  // (T)
    parts[0] = nn::apply_rope(parts[0], positions, options_.rope_theta);
    parts[1] = nn::apply_rope(parts[1], positions, options_.rope_theta);
  }
  return parts;
}

at::Tensor SsaSelfAttentionImpl::forward(const at::Tensor& x, const AttentionBias& bias) {
  const int64_t batch = x.size(0), length = x.size(1);
  const auto parts = project(x);  // q, k, v: (B, H, T, D)
  const bool subsample = mode_ == AttentionMode::kSubsampled && is_ssa_layer();
  const SourceSample sample = subsample ? sampler_->sample(options_.ssa, length, *options_.sigma_fraction)
                                        : dense_sample(length);
  last_fraction_ = attention_fraction(sample, length);
  const auto y = subsampled_attention(parts[0], parts[1], parts[2], sample, bias, options_.attention_dropout,
                                      is_training());
  return out(y.transpose(1, 2).reshape({batch, length, options_.d_model}));  // (B, T, C)
}

at::Tensor SsaSelfAttentionImpl::forward_cached(const at::Tensor& x, const AttentionBias& bias, KeyValueCache& cache) {
  const int64_t batch = x.size(0), fresh = x.size(1), start = cache.length();
  const int64_t total = start + fresh;   // S
  const auto parts = project(x, start);  // q (B, H, Tn, D), k, v (B, Hkv, Tn, D)
  if (!cache.keys.defined() || cache.keys.size(2) < total) grow(cache, parts[1], std::max(total, 2 * start));
  cache.keys.slice(2, start, total).copy_(parts[1]);
  cache.values.slice(2, start, total).copy_(parts[2]);
  cache.filled = total;
  const auto positions = at::arange(total, at::TensorOptions().dtype(at::kLong).device(x.device()));
  const auto b = bias.fn(positions.slice(0, start).unsqueeze(0), positions.unsqueeze(0));  // (H, 1, Tn, S)
  const auto keys = repeat_kv_heads(cache.keys.slice(2, 0, total), options_.heads);        // (B, H, S, D)
  const auto values = repeat_kv_heads(cache.values.slice(2, 0, total), options_.heads);
  const auto y = compat::attention(parts[0], keys, values, b.squeeze(1).unsqueeze(0), 0.0,
                                   /*training=*/false);  // (B, H, Tn, D)
  last_fraction_ = 1.0;
  return out(y.transpose(1, 2).reshape({batch, fresh, options_.d_model}));  // (B, Tn, C)
}

}  // namespace ssa::attn
