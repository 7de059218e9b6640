// What a self-ensemble says about its own confidence (issue 22): calibration of class
// predictions (expected calibration error, Brier score), the ensemble's predictive entropy and
// mutual information (the members' disagreement), and the Spearman rank correlation that asks
// whether a regression ensemble's spread predicts its error. Pure functions of tensors; the
// evaluator feeds them. Entropies in nats.
#pragma once
#include <cstdint>

#include <ATen/core/Tensor.h>

namespace ssa::train {

constexpr int64_t kCalibrationBins = 15;

// probs: (N, K) predicted distributions, targets: (N) int64 class ids. Confidence is the top
// probability, binned into `bins` equal bins of (0, 1] (right-closed, as Guo et al. 2017); the
// ECE is the count-weighted mean over bins of |accuracy - mean confidence|; NaN when a
// confidence is NaN.
// Computed in two halves, for sums over batches and ranks: (bins, 3) float64 per-bin sums of
// [count, confidence, correct], which add, and the ECE of such sums. (The whole-array forms the
// tests check them against are in tests/support/uncertainty_oracles.h.)
at::Tensor calibration_bin_sums(const at::Tensor& probs, const at::Tensor& targets, int64_t bins = kCalibrationBins);
double calibration_error_of_sums(const at::Tensor& bin_sums);

// The (N) float64 terms of the multi-class Brier score (its mean over N, in [0, 2]):
// sum_k (p_k - [k == target])^2, from (N, K) log-probabilities.
at::Tensor brier_terms(const at::Tensor& log_probs, const at::Tensor& targets);

// (..., K) log-probabilities -> (...) float64 entropies in nats (0 log 0 = 0).
at::Tensor entropy_of_log_probs(const at::Tensor& log_probs);

// Spearman's rank correlation of two (N) series: Pearson's correlation of their ranks, ties
// given their average rank. 0 when either series is constant; NaN when either holds a NaN or Inf.
double spearman_correlation(const at::Tensor& a, const at::Tensor& b);

}  // namespace ssa::train
