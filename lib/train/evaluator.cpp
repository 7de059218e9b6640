// Dense and self-ensemble evaluation over a validation Dataset (see evaluator.h).
#include "lib/train/evaluator.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <ATen/ATen.h>
#include <torch/csrc/autograd/grad_mode.h>

namespace ssa::train {
namespace {

using models::Prediction;

// 1, 2, 4, ... below n, then n: where the ensemble curve is reported.
std::vector<int64_t> ensemble_checkpoints(int64_t n) {
  std::vector<int64_t> points;
  for (int64_t k = 1; k < n; k *= 2) points.push_back(k);
  if (n > 0) points.push_back(n);
  return points;
}

// Running combination of ensemble members: log of summed probabilities, or summed values.
at::Tensor accumulate(Prediction kind, const at::Tensor& sum, const at::Tensor& next) {
  if (!sum.defined()) return next;
  return kind == Prediction::kValues ? sum + next : at::logaddexp(sum, next);
}

// The ensemble's prediction from the accumulation of n members.
at::Tensor average(Prediction kind, const at::Tensor& sum, int64_t n) {
  return kind == Prediction::kValues ? sum / static_cast<double>(n) : sum - std::log(static_cast<double>(n));
}

}  // namespace

double Score::metric(const std::string& name) const {
  for (const auto& [key, value] : metrics) {
    if (key == name) return value;
  }
  return std::numeric_limits<double>::quiet_NaN();
}

void ScoreSums::add(const at::Tensor& prediction, const data::Batch& batch) {
  const auto target = batch.target.to(prediction.device());
  switch (kind_) {
    case Prediction::kTargetLogProbs: {  // prediction (B, T)
      const auto mask = batch.target_mask.defined() ? batch.target_mask : at::ones_like(prediction, at::kBool);
      loss_sum_ -= prediction.masked_select(mask).sum().item<double>();
      count_ += mask.sum().item<int64_t>();
      break;
    }
    case Prediction::kClassLogProbs: {  // prediction (B, K)
      loss_sum_ -= prediction.gather(1, target.unsqueeze(1)).sum().item<double>();
      correct_ += prediction.argmax(1).eq(target).sum().item<double>();
      count_ += target.size(0);
      break;
    }
    case Prediction::kValues:  // prediction (B)
      loss_sum_ += (prediction - target.to(prediction.scalar_type())).abs().sum().item<double>();
      count_ += target.size(0);
      break;
  }
}

Score ScoreSums::score() const {
  Score s;
  const double n = static_cast<double>(std::max<int64_t>(count_, 1));
  s.loss = loss_sum_ / n;
  switch (kind_) {
    case Prediction::kTargetLogProbs:
      s.metrics = {{task_ == data::Task::kImageGeneration ? "bits_per_dim" : "bits_per_token", s.loss / std::log(2.0)},
                   {"perplexity", std::exp(s.loss)}};
      break;
    case Prediction::kClassLogProbs: s.metrics = {{"accuracy", correct_ / n}}; break;
    case Prediction::kValues: s.metrics = {{"mae", s.loss}}; break;
  }
  return s;
}

EvalResult evaluate(models::Model& model, const data::Dataset& valid, data::Task task, const EvalConfig& config,
                    const at::Device& device) {
  torch::NoGradGuard no_grad;
  const bool was_training = model.is_training();
  const at::Tensor sampler_state = model.sampler().state();  // evaluation must not shift training draws
  model.eval();
  const Prediction kind = model.prediction_kind();
  int64_t total = valid.size();
  if (config.batches > 0) total = std::min(total, config.batches * config.batch_size);
  const auto points = ensemble_checkpoints(config.ensemble_samples);
  ScoreSums dense(kind, task);
  std::vector<ScoreSums> ensemble(points.size(), ScoreSums(kind, task));
  for (int64_t first = 0; first < total; first += config.batch_size) {
    std::vector<int64_t> indices;
    for (int64_t i = first; i < std::min(total, first + config.batch_size); ++i) indices.push_back(i);
    const auto batch = valid.batch(indices, std::nullopt).to(device);
    model.set_attention_mode(attn::AttentionMode::kDense);
    dense.add(model.predict(batch), batch);
    model.set_attention_mode(attn::AttentionMode::kSubsampled);
    at::Tensor sum;  // of the ensemble members so far
    for (size_t k = 0, n = 1; k < points.size(); ++n) {
      sum = accumulate(kind, sum, model.predict(batch));
      if (static_cast<int64_t>(n) != points[k]) continue;
      ensemble[k].add(average(kind, sum, points[k]), batch);
      ++k;
    }
  }
  model.sampler().set_state(sampler_state);
  if (was_training) model.train();
  EvalResult r;
  r.targets = dense.count();
  r.dense = dense.score();
  for (size_t k = 0; k < points.size(); ++k) r.ensemble.push_back({points[k], ensemble[k].score()});
  return r;
}

}  // namespace ssa::train
