// Sums of one prediction stream over validation targets, and their Score (see score_sums.h).
#include "lib/train/score_sums.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <ATen/ATen.h>

#include "lib/dist/collectives.h"
#include "lib/train/uncertainty.h"

namespace ssa::train {
namespace {

using models::Prediction;

// Positions in ScoreSums::sums_. Each is a sum over the scored targets.
enum Sum : int64_t {
  kLoss,               // NLL (nats), or |error| for values
  kCorrect,            // top-1 hits (distributions)
  kBrier,              // Brier terms (distributions)
  kEntropy,            // entropy of the predicted distribution (nats)
  kMutualInformation,  // the ensemble's members' mean KL divergence to their mean (nats)
  kSpread,             // the members' standard deviation (values)
  kCount,              // targets scored
  kSums
};

double at_index(const at::Tensor& sums, Sum i) { return sums[i].item<double>(); }

}  // namespace

double Score::metric(const std::string& name) const {
  for (const auto& [key, value] : metrics) {
    if (key == name) return value;
  }
  return std::numeric_limits<double>::quiet_NaN();
}

ScoreSums::ScoreSums(Prediction kind, data::Task task, bool ensemble)
    : kind_(kind),
      task_(task),
      ensemble_(ensemble),
      sums_(at::zeros({kSums}, at::kDouble)),
      bins_(at::zeros({kCalibrationBins, 3}, at::kDouble)) {}

void ScoreSums::add(const at::Tensor& prediction, const at::Tensor& targets, const at::Tensor& spread) {
  if (kind_ == Prediction::kValues) {
    add_values(prediction, targets, spread);
  } else {
    add_distributions(prediction, targets, spread);
  }
  sums_[kCount] += targets.size(0);
}

void ScoreSums::add_distributions(const at::Tensor& log_probs, const at::Tensor& targets,
                                  const at::Tensor& mutual_information) {
  const auto t = targets.to(log_probs.device());                                        // (N)
  sums_[kLoss] -= log_probs.gather(1, t.unsqueeze(1)).sum().to(at::kCPU, at::kDouble);  // in the model's dtype, as before
  sums_[kCorrect] += log_probs.argmax(1).eq(t).sum().item<double>();
  sums_[kBrier] += brier_terms(log_probs, t).sum().item<double>();
  sums_[kEntropy] += entropy_of_log_probs(log_probs).sum().item<double>();
  if (mutual_information.defined())
    sums_[kMutualInformation] += mutual_information.to(at::kDouble).sum().item<double>();
  bins_ += calibration_bin_sums(log_probs.exp(), t).to(at::kCPU);
}

void ScoreSums::add_values(const at::Tensor& values, const at::Tensor& targets, const at::Tensor& spread) {
  const auto error = (values - targets.to(values.device(), values.scalar_type())).abs();  // (N)
  sums_[kLoss] += error.sum().to(at::kCPU, at::kDouble);
  if (!spread.defined()) return;
  sums_[kSpread] += spread.to(at::kDouble).sum().item<double>();
  spread_error_.push_back(at::stack({spread.to(at::kDouble), error.to(at::kDouble)}, 1).to(at::kCPU));  // (N, 2)
}

void ScoreSums::all_reduce(dist::Collectives& comm) {
  std::vector<at::Tensor> sums{at::cat({sums_, bins_.reshape({-1})}).to(comm.device())};
  comm.all_reduce_sum(sums);
  const auto all = sums[0].to(at::kCPU);
  sums_ = all.slice(0, 0, kSums).clone();
  bins_ = all.slice(0, kSums).reshape({kCalibrationBins, 3}).clone();
  if (kind_ == Prediction::kValues && ensemble_) {
    const auto mine = spread_error_.empty() ? at::zeros({0, 2}, at::kDouble) : at::cat(spread_error_);
    spread_error_ = {comm.all_gather_rows(mine)};  // CPU in, CPU out
  }
}

int64_t ScoreSums::count() const { return static_cast<int64_t>(at_index(sums_, kCount)); }

Score ScoreSums::score() const {
  Score s;
  const double n = std::max(at_index(sums_, kCount), 1.0);
  s.loss = at_index(sums_, kLoss) / n;
  switch (kind_) {
    case Prediction::kTokenLogProbs:
      s.metrics = {{task_ == data::Task::kImageGeneration ? "bits_per_dim" : "bits_per_token", s.loss / std::log(2.0)},
                   {"perplexity", std::exp(s.loss)}};
      break;
    case Prediction::kClassLogProbs: s.metrics = {{"accuracy", at_index(sums_, kCorrect) / n}}; break;
    case Prediction::kValues: s.metrics = {{"mae", s.loss}}; break;
  }
  add_uncertainty_metrics(s);
  return s;
}

void ScoreSums::add_uncertainty_metrics(Score& s) const {
  const double n = std::max(at_index(sums_, kCount), 1.0);
  if (kind_ != Prediction::kValues) {
    const double entropy = at_index(sums_, kEntropy) / n;
    s.metrics.push_back({"ece", calibration_error_of_sums(bins_)});
    s.metrics.push_back({"brier", at_index(sums_, kBrier) / n});
    s.metrics.push_back({"entropy", entropy});
    // a sum of terms >= 0 (member_ensemble.h), not entropy minus the members' mean entropy
    if (ensemble_) s.metrics.push_back({"mutual_information", at_index(sums_, kMutualInformation) / n});
    return;
  }
  if (!ensemble_) return;
  const auto pairs = spread_error_.empty() ? at::zeros({0, 2}, at::kDouble) : at::cat(spread_error_);  // (N, 2)
  s.metrics.push_back({"std", at_index(sums_, kSpread) / n});
  s.metrics.push_back({"std_error_spearman", spearman_correlation(pairs.select(1, 0), pairs.select(1, 1))});
}

}  // namespace ssa::train
