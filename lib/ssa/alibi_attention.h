// Causal ALiBi attention over SSA windows without a bias tensor. Within one target row i,
// -m_h (i - j) = m_h j - m_h i, and softmax ignores the row's constant -m_h i: so m_h sqrt(D) rides
// on one extra query channel and j on the matching key channel, and only causality (j <= i) is left
// to mask. With dense attention that is scaled_dot_product_attention's is_causal (no mask at all);
// with SSA windows, one boolean (G, Tq, S) mask shared by every head and sequence.
// fp32 and fp64 only: the scores now reach m_h T in size, and LibTorch 2.6's CPU flash kernel
// rounds bf16 scores to bf16 (measured: errors of 0.4 where the bias tensor gives 0.016).
#pragma once
#include <ATen/core/Tensor.h>

#include "lib/ssa/source_sampler.h"

namespace ssa::attn {

// q, k, v: (B, H, T, D) in fp32 or fp64; sample: contiguous target windows (sample.targets
// undefined); slopes: (H). Equals softmax(q k^T / sqrt(D) + alibi_bias(slopes, targets, sources,
// causal)) v per window, up to rounding of scores of size m_h T. Returns (B, H, T, D).
at::Tensor causal_alibi_attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                  const SourceSample& sample, const at::Tensor& slopes, double dropout_p, bool training);

}  // namespace ssa::attn
