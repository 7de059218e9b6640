// ALiBi (Press et al.): a per-head linear distance penalty added to attention logits, written in
// the exact -m_h * (i - j) form (not fairseq's m_h * j shortcut, which loses precision in bf16).
#pragma once
#include <cstdint>
#include <vector>

#include <ATen/core/Tensor.h>

namespace ssa::nn {

// m_h for h = 1..heads: 2^(-8h/n) for a power of two n; otherwise the power-of-two slopes of
// p = 2^floor(log2 n) followed by every other slope of 2p, as in the reference implementation.
std::vector<double> alibi_slopes(int64_t heads);

// Additive bias for targets at `target_pos` (G, Tq) and sources at `source_pos` (G, S), both int64
// positions in the original sequence. slopes: (H) float. Returns (H, G, Tq, S) float:
// -m_h * (i - j) when causal (and -inf where j > i), -m_h * |i - j| otherwise.
at::Tensor alibi_bias(const at::Tensor& slopes, const at::Tensor& target_pos, const at::Tensor& source_pos, bool causal);

}  // namespace ssa::nn
