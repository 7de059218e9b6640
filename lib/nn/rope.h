// Rotary position embeddings (Su et al. 2021, RoFormer; the LLaMA convention of Hugging Face's
// rotate_half): channel pairs (i, i + D/2) of a query or key at position p are rotated by the
// angle p * theta^(-2i/D). q . k then depends on positions only through their difference, so
// rotating at the original positions before SSA gathers sources keeps relative positions exact.
#pragma once
#include <ATen/core/Tensor.h>

namespace ssa::nn {

// x: (B, H, T, D) with D even, positions: (T) int64 -> (B, H, T, D), each position rotated.
// Angles are computed in fp32, and the rotation in x's dtype.
at::Tensor apply_rope(const at::Tensor& x, const at::Tensor& positions, double theta);

}  // namespace ssa::nn
