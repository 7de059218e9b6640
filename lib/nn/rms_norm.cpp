// RMSNorm (see rms_norm.h).
#include "lib/nn/rms_norm.h"

#include <ATen/ATen.h>

namespace ssa::nn {

RmsNormImpl::RmsNormImpl(int64_t dim, double eps) : dim_(dim), eps_(eps) { reset(); }

void RmsNormImpl::reset() { weight = register_parameter("weight", at::ones({dim_})); }

at::Tensor RmsNormImpl::forward(const at::Tensor& x) {
  const auto wide = x.to(at::promote_types(x.scalar_type(), at::kFloat));
  const auto normed = wide * at::rsqrt(wide.pow(2).mean(-1, /*keepdim=*/true) + eps_);  // (..., C)
  return normed.to(x.scalar_type()) * weight.to(x.scalar_type());
}

}  // namespace ssa::nn
