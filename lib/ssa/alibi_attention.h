// Causal attention over SSA windows without a bias tensor: only causality is masked, by one
// boolean (G, Tq, S) mask shared by every head and sequence (dense: scaled_dot_product_attention's
// is_causal). Rotary models need nothing more. Causal ALiBi rides on it as one extra channel:
// within one target row i, -m_h (i - j) = m_h j - m_h i, and softmax ignores the row's constant
// -m_h i, so m_h sqrt(D) goes on an extra query channel and j on the matching key channel.
// ALiBi channels are fp32 and fp64 only: the scores reach m_h T in size, and LibTorch 2.6's CPU
// flash kernel rounds bf16 scores to bf16 (measured: errors of 0.4 where the bias tensor gives 0.016).
// Keys and values may have fewer heads than queries (grouped-query attention).
#pragma once
#include <ATen/core/Tensor.h>

#include "lib/ssa/source_sampler.h"

namespace ssa::attn {

// x: (B, Hkv, L, D) -> (B, heads, L, D), query head h reading kv head h / (heads / Hkv); x itself
// when Hkv == heads.
at::Tensor repeat_kv_heads(const at::Tensor& x, int64_t heads);

// q: (B, H, T, E), k: (B, Hkv, T, E), v: (B, Hkv, T, Dv); sample: contiguous target windows
// (sample.targets undefined). softmax(q k^T * scale, j <= i) v per window -> (B, H, T, Dv).
at::Tensor causal_window_attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                   const SourceSample& sample, double scale, double dropout_p, bool training);

// The ALiBi channels of q (B, H, T, D) and k (B, Hkv, T, D) for slopes (H): q with m_h sqrt(D)
// and k with its position j appended, both (..., T, D + 1); softmax(q_x k_x^T / sqrt(D)) with
// j <= i is then causal ALiBi attention.
struct AlibiChannels {
  at::Tensor q, k;
};
AlibiChannels alibi_channels(const at::Tensor& q, const at::Tensor& k, const at::Tensor& slopes);

// q: (B, H, T, D), k, v: (B, Hkv, T, D) in fp32 or fp64; slopes: (H). Equals softmax(q k^T /
// sqrt(D) + alibi_bias(slopes, targets, sources, causal)) v per window, up to rounding of scores
// of size m_h T. Returns (B, H, T, D).
at::Tensor causal_alibi_attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                  const SourceSample& sample, const at::Tensor& slopes, double dropout_p, bool training);

}  // namespace ssa::attn
