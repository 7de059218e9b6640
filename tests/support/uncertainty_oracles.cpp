// Whole-array uncertainty measures for tests (see uncertainty_oracles.h).
#include "tests/support/uncertainty_oracles.h"

#include <ATen/ATen.h>

namespace ssa::test {
namespace {

// (..., K) distributions -> (...) entropies in nats (0 log 0 = 0).
at::Tensor entropy(const at::Tensor& p) { return -(p * p.clamp_min(1e-300).log()).sum(-1); }

}  // namespace

double expected_calibration_error(const at::Tensor& probs, const at::Tensor& targets, int64_t bins) {
  return train::calibration_error_of_sums(train::calibration_bin_sums(probs, targets, bins));
}

double brier_score(const at::Tensor& probs, const at::Tensor& targets) {
  return train::brier_terms(probs.to(at::kDouble).clamp_min(1e-300).log(), targets).mean().item<double>();
}

double mean_predictive_entropy(const at::Tensor& member_probs) {
  return entropy(member_probs.to(at::kDouble).mean(0)).mean().item<double>();  // (N) -> mean
}

double mutual_information(const at::Tensor& member_probs) {
  const auto p = member_probs.to(at::kDouble);                        // (M, N, K)
  const auto disagreement = entropy(p.mean(0)) - entropy(p).mean(0);  // (N)
  return disagreement.mean().item<double>();
}

}  // namespace ssa::test
