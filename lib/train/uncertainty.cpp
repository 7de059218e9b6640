// Calibration and ensemble-uncertainty measures (see uncertainty.h).
#include "lib/train/uncertainty.h"

#include <cmath>
#include <limits>

#include <ATen/ATen.h>

#include "lib/core/error.h"

namespace ssa::train {
namespace {

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

at::Tensor calibration_bin_sums(const at::Tensor& probs, const at::Tensor& targets, int64_t bins) {
  check_classes(probs, targets);
  const auto [confidence, predicted] = probs.to(at::kDouble).max(1);                  // (N), (N)
  const auto correct = predicted.eq(targets.to(predicted.device())).to(at::kDouble);  // (N)
  // A NaN confidence (a diverged model) goes to bin 0, where it makes the sums and the ECE NaN.
  const auto scaled = at::nan_to_num(confidence * static_cast<double>(bins), 0.0, 0.0, 0.0);
  const auto bin = scaled.ceil().sub(1).clamp(0, bins - 1).to(at::kLong);               // (N)
  const auto columns = at::stack({at::ones_like(confidence), confidence, correct}, 1);  // (N, 3)
  return at::zeros({bins, 3}, columns.options()).index_add_(0, bin, columns);           // (bins, 3)
}

double calibration_error_of_sums(const at::Tensor& bin_sums) {
  const auto sums = bin_sums.to(at::kCPU, at::kDouble);  // (bins, 3)
  const double count = sums.select(1, 0).sum().item<double>();
  // sum_b (n_b / N) |acc_b - conf_b| = sum_b |correct_b - confidence_b| / N
  const double gap = (sums.select(1, 2) - sums.select(1, 1)).abs().sum().item<double>();
  return count > 0 ? gap / count : 0.0;
}

at::Tensor brier_terms(const at::Tensor& log_probs, const at::Tensor& targets) {
  check_classes(log_probs, targets);
  const auto p = log_probs.to(at::kDouble).exp();                                     // (N, K)
  const auto p_target = p.gather(1, targets.to(p.device()).unsqueeze(1)).squeeze(1);  // (N)
  return p.pow(2).sum(1) - 2 * p_target + 1;                                          // sum_k (p_k - [k == target])^2
}

at::Tensor entropy_of_log_probs(const at::Tensor& log_probs) {
  const auto lp = log_probs.to(at::kDouble);
  return -(lp.exp() * lp.clamp_min(-1e300)).sum(-1);  // p = 0 gives 0 * finite = 0
}

double spearman_correlation(const at::Tensor& a, const at::Tensor& b) {
  SSA_CHECK(a.dim() == 1 && a.sizes() == b.sizes(), ExitCode::kInternal, "spearman: two (N) series expected");
  if (!at::isfinite(a).all().item<bool>() || !at::isfinite(b).all().item<bool>())
    return std::numeric_limits<double>::quiet_NaN();  // ranks of NaN mean nothing
  const auto ra = average_ranks(a), rb = average_ranks(b);
  const auto da = ra - ra.mean(), db = rb - rb.mean();
  const double norm = std::sqrt(da.pow(2).sum().item<double>() * db.pow(2).sum().item<double>());
  return norm > 0 ? (da * db).sum().item<double>() / norm : 0.0;
}

}  // namespace ssa::train
