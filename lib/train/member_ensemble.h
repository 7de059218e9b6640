// A running self-ensemble over the scored targets of one batch: the number of members n, the sum
// S of their probabilities (N, K) or values (N, 1), and D (N), the sum over members of each
// member's divergence from the members' mean: the generalized KL divergence
// sum_k [a_k log(a_k / b_k) - a_k + b_k] for distributions, (a - b)^2 for values. Both are
// Bregman divergences, so groups merge by the compensation identity
//   D = sum_g [D_g + n_g div(mean_g, mean)],
// every term >= 0 (Chan et al.'s pairwise variance update is the values case). The mutual
// information D / n is thus a sum of non-negative float64 terms, not a difference of two nearly
// equal entropies: its relative rounding error stays near float64's epsilon divided by the
// members' relative disagreement, whatever the grouping of members over ranks.
#pragma once
#include <cstdint>

#include <ATen/core/Tensor.h>

#include "models/model.h"

namespace ssa::train {

// What an ensemble predicts and how far its members spread.
struct EnsembleView {
  at::Tensor prediction;  // (N, K) float64 log of the mean probabilities, or (N) float64 the mean value
  at::Tensor spread;      // (N) float64 mutual information (mean KL to the mean), or the members' std
};

// (N, K) probabilities a, b (a = 0 allowed, b > 0 where a > 0) -> (N) generalized KL(a || b),
// each term computed as a (v - log1p(v)) with v = (b - a) / a, clamped at its true bound 0.
at::Tensor kl_rows(const at::Tensor& a, const at::Tensor& b);

class MemberEnsemble {
 public:
  explicit MemberEnsemble(models::Prediction kind) : kind_(kind) {}
  // A member's prediction: (N, K) log-probabilities or (N) values.
  void add(const at::Tensor& member);
  // Merges a group of n members with sums `sum` (N, K) and `divergence` (N) (n > 0).
  void merge(int64_t n, const at::Tensor& sum, const at::Tensor& divergence);
  // This group's share of the divergence of a larger ensemble whose mean is `mean` (N, K):
  // D_g + n_g div(mean_g, mean) over this group's rows first_row .. first_row + mean.size(0);
  // zeros when the group is empty.
  at::Tensor divergence_to(const at::Tensor& mean, int64_t first_row = 0) const;

  int64_t members() const { return n_; }
  const at::Tensor& sum() const { return sum_; }                // (N, K) float64; undefined before a member
  const at::Tensor& divergence() const { return divergence_; }  // (N) float64
  EnsembleView view() const;

 private:
  at::Tensor as_points(const at::Tensor& member) const;  // (N, K) probabilities or (N, 1) values, float64
  at::Tensor divergence_rows(const at::Tensor& a, const at::Tensor& b) const;

  models::Prediction kind_;
  int64_t n_ = 0;
  at::Tensor sum_, divergence_;
};

}  // namespace ssa::train
