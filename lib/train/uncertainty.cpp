// Calibration and ensemble-uncertainty measures (see uncertainty.h).
#include "lib/train/uncertainty.h"

#include <cmath>

#include <ATen/ATen.h>

#include "lib/core/error.h"

namespace ssa::train {
namespace {

// x: (..., K) distributions -> (...) entropies in nats (0 log 0 = 0).
at::Tensor entropy(const at::Tensor& p) { return -(p * p.clamp_min(1e-300).log()).sum(-1); }

// (N) values -> (N) ranks 1..N, ties sharing their average rank.
at::Tensor average_ranks(const at::Tensor& values) {
  const auto v = values.to(at::kDouble).contiguous();
  const auto order = v.argsort();
  const auto sorted = v.index_select(0, order);
  auto ranks = at::empty_like(v);
  const int64_t n = v.numel();
  const auto* s = sorted.data_ptr<double>();
  const auto* o = order.data_ptr<int64_t>();
  auto* r = ranks.data_ptr<double>();
  for (int64_t i = 0; i < n;) {
    int64_t j = i;
    while (j + 1 < n && s[j + 1] == s[i]) ++j;
    for (int64_t k = i; k <= j; ++k) r[o[k]] = 0.5 * static_cast<double>(i + j) + 1.0;  // average of ranks i+1..j+1
    i = j + 1;
  }
  return ranks;
}

void check_classes(const at::Tensor& probs, const at::Tensor& targets) {
  SSA_CHECK(probs.dim() == 2 && targets.dim() == 1 && probs.size(0) == targets.size(0), ExitCode::kInternal,
            "calibration: probs (N, K) and targets (N) expected");
}

}  // namespace

double expected_calibration_error(const at::Tensor& probs, const at::Tensor& targets, int64_t bins) {
  check_classes(probs, targets);
  const auto [confidence, predicted] = probs.to(at::kDouble).max(1);                                         // (N), (N)
  const auto correct = predicted.eq(targets).to(at::kDouble);                                                // (N)
  const auto bin = (confidence * static_cast<double>(bins)).ceil().sub(1).clamp(0, bins - 1).to(at::kLong);  // (N)
  const auto count = at::zeros({bins}, at::kDouble).index_add_(0, bin, at::ones_like(confidence));
  const auto confidence_sum = at::zeros({bins}, at::kDouble).index_add_(0, bin, confidence);
  const auto correct_sum = at::zeros({bins}, at::kDouble).index_add_(0, bin, correct);
  // sum_b (n_b / N) |acc_b - conf_b| = sum_b |correct_b - confidence_b| / N
  return (correct_sum - confidence_sum).abs().sum().item<double>() / static_cast<double>(probs.size(0));
}

double brier_score(const at::Tensor& probs, const at::Tensor& targets) {
  check_classes(probs, targets);
  const auto p = probs.to(at::kDouble);
  const auto one_hot = at::zeros_like(p).scatter_(1, targets.unsqueeze(1), 1.0);  // (N, K)
  return (p - one_hot).pow(2).sum(1).mean().item<double>();
}

double mean_predictive_entropy(const at::Tensor& member_probs) {
  return entropy(member_probs.to(at::kDouble).mean(0)).mean().item<double>();  // (N) -> mean
}

double mutual_information(const at::Tensor& member_probs) {
  const auto p = member_probs.to(at::kDouble);                        // (M, N, K)
  const auto disagreement = entropy(p.mean(0)) - entropy(p).mean(0);  // (N)
  return disagreement.mean().item<double>();
}

double spearman_correlation(const at::Tensor& a, const at::Tensor& b) {
  SSA_CHECK(a.dim() == 1 && a.sizes() == b.sizes(), ExitCode::kInternal, "spearman: two (N) series expected");
  const auto ra = average_ranks(a), rb = average_ranks(b);
  const auto da = ra - ra.mean(), db = rb - rb.mean();
  const double norm = std::sqrt(da.pow(2).sum().item<double>() * db.pow(2).sum().item<double>());
  return norm > 0 ? (da * db).sum().item<double>() / norm : 0.0;
}

}  // namespace ssa::train
