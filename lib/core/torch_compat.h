// The only place that knows which LibTorch version we are built against (1.13 on Debian,
// 2.x from the PyTorch CUDA wheel). Every version-sensitive call goes through here.
#pragma once
#include <optional>

#include <ATen/ATen.h>
#include <torch/version.h>

#define SSA_TORCH_AT_LEAST(major, minor) \
  (TORCH_VERSION_MAJOR > (major) || (TORCH_VERSION_MAJOR == (major) && TORCH_VERSION_MINOR >= (minor)))

namespace ssa::compat {

// softmax(q k^T / sqrt(d) + bias) v with dropout on the probabilities. q: (..., Tq, D),
// k, v: (..., S, D), bias broadcastable to (..., Tq, S). LibTorch 2.x uses the fused
// scaled_dot_product_attention; 1.13 runs the same math op by op, softmax in at least fp32.
inline at::Tensor attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                            const at::Tensor& bias, double dropout_p, bool training) {
#if SSA_TORCH_AT_LEAST(2, 0)
  return at::scaled_dot_product_attention(q, k, v, bias.to(q.scalar_type()),
                                          training ? dropout_p : 0.0, /*is_causal=*/false);
#else
  const double scale = 1.0 / std::sqrt(static_cast<double>(q.size(-1)));
  auto scores = at::matmul(q, k.transpose(-2, -1)).mul_(scale).add_(bias);  // (..., Tq, S)
  auto probs = at::softmax(scores, -1, at::promote_types(q.scalar_type(), at::kFloat)).to(q.scalar_type());
  if (training && dropout_p > 0) probs = at::dropout(probs, dropout_p, /*train=*/true);
  return at::matmul(probs, v);                                                // (..., Tq, D)
#endif
}

}  // namespace ssa::compat
