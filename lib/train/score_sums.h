// What one stream of predictions (dense attention, or a self-ensemble of n SSA samples) scores on
// the validation targets a rank evaluated: sums that add over batches and ranks, turned into a
// Score at the end. Besides loss and the task metric, the uncertainty measures of
// lib/train/uncertainty.h: calibration (ECE, Brier) and predictive entropy of distributions, the
// members' disagreement (mutual information) for ensembles, and for regression ensembles the
// per-example spread and its rank correlation with the absolute error.
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <ATen/core/Tensor.h>

#include "lib/core/batch.h"
#include "models/model.h"

namespace ssa::dist {
class Collectives;
}

namespace ssa::train {

struct Score {
  double loss = 0;  // mean NLL per target (nats), or mean absolute error for regression
  // Task metrics in report order (names as in docs/run-directory.md): bits_per_token or
  // bits_per_dim and perplexity (tokens), accuracy (classes); then ece, brier and entropy of
  // distributions, mutual_information of ensembles; mae (regression), std and std_error_spearman
  // of regression ensembles.
  std::vector<std::pair<std::string, double>> metrics;
  double metric(const std::string& name) const;  // NaN when absent
};

class ScoreSums {
 public:
  // `ensemble`: the predictions are an ensemble's, which come with the members' spread.
  ScoreSums(models::Prediction kind, data::Task task, bool ensemble);
  // Not copyable: a copy would share (and add into) the same sum tensors.
  ScoreSums(const ScoreSums&) = delete;
  ScoreSums& operator=(const ScoreSums&) = delete;
  ScoreSums(ScoreSums&&) = default;
  ScoreSums& operator=(ScoreSums&&) = default;
  // One batch of scored targets. Distributions: prediction (N, K) log-probabilities, targets (N)
  // ids, spread (N) the members' mean KL divergence to the ensemble (ensembles, member_ensemble.h). Values: prediction (N),
  // targets (N), spread (N) the members' standard deviation (ensembles). Dense: spread undefined.
  void add(const at::Tensor& prediction, const at::Tensor& targets, const at::Tensor& spread);
  void all_reduce(dist::Collectives& comm);  // afterwards every rank holds the sums of all ranks
  Score score() const;
  int64_t count() const;

 private:
  void add_distributions(const at::Tensor& log_probs, const at::Tensor& targets, const at::Tensor& mutual_information);
  void add_values(const at::Tensor& values, const at::Tensor& targets, const at::Tensor& spread);
  void add_uncertainty_metrics(Score& s) const;

  models::Prediction kind_;
  data::Task task_;
  bool ensemble_;
  at::Tensor sums_;  // (kSums) float64, indexed by Sum (score_sums.cpp)
  at::Tensor bins_;  // (15, 3) float64 calibration bin sums of distributions
  // Regression ensembles: (n, 2) float64 blocks of per-example [spread, |error|], all of them
  // needed for the rank correlation.
  std::vector<at::Tensor> spread_error_;
};

}  // namespace ssa::train
