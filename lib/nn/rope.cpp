// Rotary position embeddings (see rope.h).
#include "lib/nn/rope.h"

#include <ATen/ATen.h>

namespace ssa::nn {

at::Tensor apply_rope(const at::Tensor& x, const at::Tensor& positions, double theta) {
  const int64_t dim = x.size(-1), half = dim / 2;
  const auto options = x.options().dtype(at::kFloat);
  const auto exponents = at::arange(0, dim, 2, options).div(static_cast<double>(dim));        // (D/2): 2i / D
  const auto inv_freq = at::pow(theta, exponents).reciprocal();                               // (D/2)
  const auto angles = positions.to(options).unsqueeze(1) * inv_freq.unsqueeze(0);             // (T, D/2)
  const auto both = at::cat({angles, angles}, -1);                                            // (T, D)
  const auto cos = both.cos().to(x.scalar_type()), sin = both.sin().to(x.scalar_type());      // (T, D)
  const auto rotated_half = at::cat({-x.narrow(-1, half, half), x.narrow(-1, 0, half)}, -1);  // (B, H, T, D)
  return x * cos + rotated_half * sin;
}

}  // namespace ssa::nn
