// Gather-based SSA attention (see ssa_attention.h).
#include "lib/ssa/ssa_attention.h"

#include <ATen/ATen.h>
#include <torch/nn/init.h>

#include "lib/core/torch_compat.h"

namespace ssa::attn {

at::Tensor subsampled_attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                const SourceSample& sample, const BiasFn& bias, double dropout_p,
                                bool training) {
  const int64_t batch = q.size(0), heads = q.size(1), length = q.size(2), dim = q.size(3);
  const int64_t windows = sample.windows;
  const int64_t per_window = length / windows;                         // Tq
  const auto sources = sample.sources.to(q.device());                  // (G, S)
  const int64_t kept = sources.size(1);                                // S
  const auto flat = sources.reshape({-1});                             // (G*S)
  // Gather keys and values at the sampled positions: (B, H, G*S, D) -> (B, H*G, S, D). One
  // window of T ascending sources is every position (dense): nothing to gather.
  const bool every_source = windows == 1 && kept == length;
  const auto k_s = every_source ? k : k.index_select(2, flat).view({batch, heads * windows, kept, dim});
  const auto v_s = every_source ? v : v.index_select(2, flat).view({batch, heads * windows, kept, dim});
  // Contiguous target windows are a view; listed ones (Swin sub-windows) are gathered.
  const bool listed = sample.targets.defined();
  const auto targets = listed ? sample.targets.to(q.device())
                              : at::arange(length, sources.options()).view({windows, per_window});  // (G, Tq)
  const auto q_w = (listed ? q.index_select(2, targets.reshape({-1})) : q)
                       .reshape({batch, heads * windows, per_window, dim});  // (B, H*G, Tq, D)
  const auto raw = bias(targets, sources);  // (H, G, Tq, S), or (B, H, G, Tq, S) when it varies by sequence
  const auto b = raw.dim() == 5 ? raw.expand({batch, heads, windows, per_window, kept})
                                      .reshape({batch, heads * windows, per_window, kept})    // (B, H*G, Tq, S)
                                : raw.expand({heads, windows, per_window, kept})
                                      .reshape({1, heads * windows, per_window, kept});       // (1, H*G, Tq, S)
  const auto y = compat::attention(q_w, k_s, v_s, b, dropout_p, training)
                     .reshape({batch, heads, length, dim});              // (B, H, T, D) in window order
  return listed ? y.index_select(2, targets.reshape({-1}).argsort()) : y;  // back to sequence order
}

double attention_fraction(const SourceSample& sample, int64_t length) {
  const double computed = static_cast<double>(length) * static_cast<double>(sample.sources.size(1));
  return computed / (static_cast<double>(length) * static_cast<double>(length));
}

SsaSelfAttentionImpl::SsaSelfAttentionImpl(const SsaAttentionOptions& options,
                                           std::shared_ptr<SourceSampler> sampler)
    : options_(options), sampler_(std::move(sampler)) {
  qkv = register_module("qkv", torch::nn::Linear(options.d_model, 3 * options.d_model));
  out = register_module("out", torch::nn::Linear(options.d_model, options.d_model));
  for (auto* linear : {&qkv, &out}) {
    torch::nn::init::xavier_uniform_((*linear)->weight);
    torch::nn::init::zeros_((*linear)->bias);
  }
}

at::Tensor SsaSelfAttentionImpl::forward(const at::Tensor& x, const BiasFn& bias) {
  const int64_t batch = x.size(0), length = x.size(1), heads = options_.heads;
  const int64_t dim = options_.d_model / heads;
  // (B, T, 3C) -> 3 x (B, H, T, D)
  const auto parts = qkv(x).view({batch, length, 3, heads, dim}).permute({2, 0, 3, 1, 4}).unbind(0);
  const bool subsample = mode_ == AttentionMode::kSubsampled && is_ssa_layer();
  const SourceSample sample = subsample ? sampler_->sample(options_.ssa, length, *options_.sigma_fraction)
                                        : dense_sample(length);
  last_fraction_ = attention_fraction(sample, length);
  const auto y = subsampled_attention(parts[0], parts[1], parts[2], sample, bias,
                                      options_.attention_dropout, is_training());
  return out(y.transpose(1, 2).reshape({batch, length, options_.d_model}));  // (B, T, C)
}

}  // namespace ssa::attn
