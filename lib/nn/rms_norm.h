// RMSNorm (Zhang and Sennrich 2019; LLaMA): x / sqrt(mean(x^2) + eps) * weight over the last
// dimension, no mean subtraction and no bias. LibTorch has no RMSNorm module before 2.4.
#pragma once
#include <cstdint>

#include <torch/nn/cloneable.h>
#include <torch/nn/pimpl.h>

namespace ssa::nn {

constexpr double kRmsNormEps = 1e-5;  // LLaMA 2's

class RmsNormImpl : public torch::nn::Cloneable<RmsNormImpl> {
 public:
  explicit RmsNormImpl(int64_t dim, double eps = kRmsNormEps);
  void reset() override;
  at::Tensor forward(const at::Tensor& x);  // (..., C) -> (..., C), computed in at least fp32

  at::Tensor weight;  // (C), ones at init

 private:
  int64_t dim_;
  double eps_;
};
TORCH_MODULE(RmsNorm);

}  // namespace ssa::nn
