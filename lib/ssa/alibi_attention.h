// Causal ALiBi attention over SSA windows without a bias tensor. Within one target row i,
// -m_h (i - j) = m_h j - m_h i, and softmax ignores the row's constant -m_h i: so m_h sqrt(D) rides
// on extra query channels and j on the matching key channels, and only causality (j <= i) is left
// to mask. With dense attention that is scaled_dot_product_attention's is_causal, its fastest kernel;
// with SSA windows, one boolean (G, Tq, S) mask shared by every head and sequence. In 16-bit types
// slope and position are each split in two exactly representable parts (4 channels), so the bias
// keeps fp32 accuracy; fp32 and fp64 need one channel.
#pragma once
#include <ATen/core/Tensor.h>

#include "lib/ssa/source_sampler.h"

namespace ssa::attn {

// The longest sequence whose positions the 16-bit channels hold exactly (j = 256 a + b, a, b < 256).
inline constexpr int64_t kMaxAlibiChannelLength = 65536;

// q, k, v: (B, H, T, D); sample: contiguous target windows (sample.targets undefined); slopes: (H).
// Equals softmax(q k^T / sqrt(D) + alibi_bias(slopes, targets, sources, causal)) v per window,
// up to rounding. Returns (B, H, T, D).
at::Tensor causal_alibi_attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                  const SourceSample& sample, const at::Tensor& slopes, double dropout_p,
                                  bool training);

}  // namespace ssa::attn
