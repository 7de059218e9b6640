// Evaluation of any model on a validation Dataset, walked in index order: dense ("renormalized")
// attention always, and optionally a self-ensemble of N independent SSA samples (paper Sec. 5)
// that averages probabilities (language models, pixels, classes) or values (regression).
// Text validation sets are fairseq sliding windows (lib/data/text_datasets.h).
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "lib/data/data_config.h"
#include "lib/data/dataset.h"
#include "lib/config/train_config.h"
#include "models/model.h"

namespace ssa::train {

struct Score {
  double loss = 0;  // mean NLL per target (nats), or mean absolute error for regression
  // Task metrics in report order: bits_per_token and perplexity (text), bits_per_dim and
  // perplexity (pixels), accuracy (classes), mae (regression).
  std::vector<std::pair<std::string, double>> metrics;
  double metric(const std::string& name) const;  // NaN when absent
};

struct EnsemblePoint {
  int64_t samples = 0;
  Score score;
};

struct EvalResult {
  Score dense;
  std::vector<EnsemblePoint> ensemble;  // at 1, 2, 4, ... and N samples; empty when off
  int64_t targets = 0;                  // tokens, sub-pixels, images or graphs scored
};

// Sums over evaluated targets, turned into a Score at the end.
class ScoreSums {
 public:
  ScoreSums(models::Prediction kind, data::Task task) : kind_(kind), task_(task) {}
  void add(const at::Tensor& prediction, const data::Batch& batch);  // prediction as Model::predict
  Score score() const;
  int64_t count() const { return count_; }

 private:
  models::Prediction kind_;
  data::Task task_;
  double loss_sum_ = 0, correct_ = 0;
  int64_t count_ = 0;
};

// Evaluates the first eval.batches x eval.batch_size indices of `valid` (all when batches = 0).
// Restores the model's training mode and SSA sampler state afterwards.
EvalResult evaluate(models::Model& model, const data::Dataset& valid, data::Task task, const EvalConfig& config,
                    const at::Device& device);

}  // namespace ssa::train
