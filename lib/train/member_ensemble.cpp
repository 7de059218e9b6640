// The running self-ensemble and its Bregman merge (see member_ensemble.h).
#include "lib/train/member_ensemble.h"

#include <cmath>

#include <ATen/ATen.h>

namespace ssa::train {

using models::Prediction;

at::Tensor kl_rows(const at::Tensor& a, const at::Tensor& b) {
  const auto positive = a.gt(0);
  const auto safe_a = at::where(positive, a, at::ones_like(a));
  const auto v = (b - a) / safe_a;                                   // b / a - 1, exact to rounding
  const auto term = at::where(positive, a * (v - at::log1p(v)), b);  // a log(a/b) - a + b
  return term.clamp_min(0).sum(1);                                   // (N); NaN stays NaN
}

at::Tensor MemberEnsemble::as_points(const at::Tensor& member) const {
  const auto m = member.to(at::kDouble);
  return kind_ == Prediction::kValues ? m.reshape({-1, 1}) : m.exp();
}

at::Tensor MemberEnsemble::divergence_rows(const at::Tensor& a, const at::Tensor& b) const {
  if (kind_ == Prediction::kValues) return (a - b).pow(2).sum(1);
  return kl_rows(a, b);
}

void MemberEnsemble::add(const at::Tensor& member) {
  const auto x = as_points(member);
  merge(1, x, at::zeros({x.size(0)}, x.options()));
}

void MemberEnsemble::merge(int64_t n, const at::Tensor& sum, const at::Tensor& divergence) {
  if (n_ == 0) {
    n_ = n, sum_ = sum.to(at::kDouble), divergence_ = divergence.to(sum_.device(), at::kDouble);
    return;
  }
  const auto total = sum_ + sum.to(sum_.device(), at::kDouble);
  const auto mean = total / static_cast<double>(n_ + n);
  const auto other = divergence.to(sum_.device(), at::kDouble) +
                     static_cast<double>(n) * divergence_rows(sum.to(sum_.device(), at::kDouble) / n, mean);
  divergence_ = divergence_to(mean) + other;
  sum_ = total;
  n_ += n;
}

at::Tensor MemberEnsemble::divergence_to(const at::Tensor& mean, int64_t first_row) const {
  if (n_ == 0) return at::zeros({mean.size(0)}, mean.options());
  const int64_t end = first_row + mean.size(0);
  const auto own_mean = sum_.slice(0, first_row, end) / static_cast<double>(n_);
  return divergence_.slice(0, first_row, end) + static_cast<double>(n_) * divergence_rows(own_mean, mean);
}

EnsembleView MemberEnsemble::view() const {
  const auto n = static_cast<double>(n_);
  if (kind_ == Prediction::kValues) return {sum_.squeeze(1) / n, (divergence_ / n).sqrt()};
  return {(sum_ / n).log(), divergence_ / n};
}

}  // namespace ssa::train
