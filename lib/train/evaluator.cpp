// Dense and self-ensemble evaluation over a validation Dataset, sharded over ranks (see evaluator.h).
#include "lib/train/evaluator.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <csignal>
#include <functional>
#include <limits>
#include <thread>

#include <ATen/ATen.h>
#include <torch/csrc/autograd/grad_mode.h>

#include "lib/core/splitmix.h"
#include "lib/dist/agreement.h"
#include "lib/dist/communicator.h"
#include "lib/train/eval_plan.h"
#include "lib/train/fault_injection.h"
#include "lib/train/uncertainty.h"

namespace ssa::train {
namespace {

using models::Prediction;

constexpr uint64_t kEnsembleSalt = 0x656e73656d626c65;  // "ensemble"

// The scored targets of one batch as rows: prediction (N, K) log-probs or (N) values, targets
// (N), and where each row comes from (example index in the dataset, position in the example).
struct TargetRows {
  at::Tensor prediction, targets, example, position;
};

TargetRows rows_of(Prediction kind, const at::Tensor& prediction, const data::Batch& batch, int64_t first) {
  const auto target = batch.target.to(prediction.device());
  if (kind != Prediction::kTokenLogProbs) {  // one target per example
    const auto example = at::arange(first, first + target.size(0), at::kLong);
    return {prediction, target, example, at::zeros_like(example)};
  }
  const int64_t length = target.size(1);  // prediction (N, V) at the scored positions
  const auto mask = batch.target_mask.defined() ? batch.target_mask.to(prediction.device())
                                                : at::ones_like(target, at::kBool);  // (B, T)
  const auto scored = mask.reshape({-1}).nonzero().squeeze(1);                       // (N) flat positions
  const auto cpu = scored.to(at::kCPU);
  return {prediction, target.reshape({-1}).index_select(0, scored), first + cpu.div(length, "floor"),
          cpu.remainder(length)};
}

// N, the number of scored rows of a batch, known without a forward pass.
int64_t scored_rows(Prediction kind, const data::Batch& batch) {
  if (kind != Prediction::kTokenLogProbs) return batch.target.size(0);
  if (!batch.target_mask.defined()) return batch.target.numel();
  return batch.target_mask.sum().item<int64_t>();
}

// What a rank accumulates over its batches.
struct ShardSums {
  ScoreSums dense;
  std::vector<ScoreSums> ensemble;   // one per ensemble size
  std::vector<at::Tensor> examples;  // per-example blocks (EvalPlan::per_example)
};

// One column per entry of example_columns(kind), and the code that fills it.
using ExampleColumn = std::function<at::Tensor(const TargetRows& dense, const EnsembleView* ensemble)>;

std::vector<ExampleColumn> example_fillers(Prediction kind) {
  const auto d = [](const at::Tensor& t) { return t.to(at::kCPU, at::kDouble); };
  const auto missing = [](const TargetRows& r) {
    return at::full({r.targets.size(0)}, std::numeric_limits<double>::quiet_NaN(), at::kDouble);
  };
  const auto ensemble_or_missing = [=](auto of) -> ExampleColumn {
    return [=](const TargetRows& r, const EnsembleView* e) { return e ? d(of(r, *e)) : missing(r); };
  };
  const auto target_probability = [](const at::Tensor& lp, const at::Tensor& t) {
    return lp.gather(1, t.to(lp.device()).unsqueeze(1)).squeeze(1).exp();
  };
  std::vector<ExampleColumn> columns{[=](const TargetRows& r, const EnsembleView*) { return d(r.example); },
                                     [=](const TargetRows& r, const EnsembleView*) { return d(r.position); },
                                     [=](const TargetRows& r, const EnsembleView*) { return d(r.targets); }};
  if (kind == Prediction::kValues) {
    columns.push_back([=](const TargetRows& r, const EnsembleView*) { return d(r.prediction); });
    columns.push_back(ensemble_or_missing([](const TargetRows&, const EnsembleView& e) { return e.prediction; }));
    columns.push_back(ensemble_or_missing([](const TargetRows&, const EnsembleView& e) { return e.spread; }));
    return columns;
  }
  columns.push_back([=](const TargetRows& r, const EnsembleView*) { return d(r.prediction.argmax(1)); });
  columns.push_back(
      [=](const TargetRows& r, const EnsembleView*) { return d(target_probability(r.prediction, r.targets)); });
  columns.push_back(ensemble_or_missing([](const TargetRows&, const EnsembleView& e) { return e.prediction.argmax(1); }));
  columns.push_back(ensemble_or_missing(
      [=](const TargetRows& r, const EnsembleView& e) { return target_probability(e.prediction, r.targets); }));
  columns.push_back(ensemble_or_missing([](const TargetRows&, const EnsembleView& e) { return e.spread; }));
  return columns;
}

// Per-example block (N, columns) of one batch; see example_columns.
at::Tensor example_block(Prediction kind, const TargetRows& dense, const EnsembleView* ensemble) {
  std::vector<at::Tensor> columns;
  for (const auto& fill : example_fillers(kind)) columns.push_back(fill(dense, ensemble));
  return at::stack(columns, 1);
}

// Member k of batch b: its SSA draws depend on (seed, b, k) only.
uint64_t member_seed(uint64_t seed, int64_t batch, int64_t member) {
  return mix_seed(mix_seed(seed, static_cast<uint64_t>(batch)), static_cast<uint64_t>(member));
}

struct BatchJob {
  const data::Batch& batch;
  int64_t first = 0;  // first example
  Share share;
  bool poisoned = false;  // SSA_FAULT=eval_nan (tests only): every prediction becomes NaN
};

at::Tensor predict(models::Model& model, const BatchJob& job) {
  const auto prediction = model.predict(job.batch);  // the scored rows: (N, K) or (N)
  return job.poisoned ? prediction * std::numeric_limits<float>::quiet_NaN() : prediction;
}

at::Tensor member_prediction(models::Model& model, const BatchJob& job, const EvalPlan& plan, int64_t member) {
  model.sampler().reseed(member_seed(plan.ensemble_seed, job.share.batch, member));
  return predict(model, job);
}

// What ranks that split members agree on before their first merge: the most rows of any split
// batch and the number of classes (1 for values); with the batch count, the merge rounds.
struct SplitShape {
  int64_t batches = 0, rows = 0, classes = 0;  // rows: this rank's batch
  MergeRounds rounds;
};

SplitShape agree_split_shape(int64_t batches, int64_t rows, int64_t classes, dist::Collectives& comm) {
  const auto max_rows = static_cast<int64_t>(comm.all_reduce_max(static_cast<double>(rows)));
  const auto max_classes = static_cast<int64_t>(comm.all_reduce_max(static_cast<double>(classes)));
  return {batches, rows, max_classes, merge_rounds(batches, max_rows, max_classes, kMergeBufferBytes)};
}

// The ensemble of the first `size` members of this rank's batch, merged over all its sharers;
// complete on the scoring rank only. Every rank of a split evaluation calls it at every ensemble
// size and issues the same collectives (eval_plan.h): per round, a sum of the members'
// probability (or value) sums, then of their divergences from the merged mean.
MemberEnsemble merge_sharers(Prediction kind, const MemberEnsemble& mine, const Share& share, int64_t size,
                             const SplitShape& shape, dist::Collectives& comm) {
  const int64_t per_round = shape.rounds.rows_per_round;
  const auto options = at::TensorOptions().dtype(at::kDouble).device(comm.device());
  std::vector<at::Tensor> sums, divergences;
  for (int64_t round = 0; round < shape.rounds.rounds; ++round) {
    const int64_t first = std::min(shape.rows, round * per_round), rows = std::min(shape.rows, first + per_round) - first;
    std::vector<at::Tensor> buffer{at::zeros({shape.batches, per_round, shape.classes}, options)};
    if (mine.members() > 0) buffer[0][share.batch].slice(0, 0, rows).copy_(mine.sum().slice(0, first, first + rows));
    comm.all_reduce_sum(buffer);
    const auto total = buffer[0][share.batch].slice(0, 0, rows);  // (rows, K) all sharers' sums
    std::vector<at::Tensor> divergence{at::zeros({shape.batches, per_round}, options)};
    divergence[0][share.batch].slice(0, 0, rows).copy_(mine.divergence_to(total / static_cast<double>(size), first));
    comm.all_reduce_sum(divergence);
    if (!share.scores()) continue;  // copies, so that each round's buffer is freed
    sums.push_back(total.clone());
    divergences.push_back(divergence[0][share.batch].slice(0, 0, rows).clone());
  }
  MemberEnsemble all(kind);
  if (share.scores() && shape.rows > 0) all.merge(size, at::cat(sums), at::cat(divergences));
  return all;
}

// Dense pass (scoring rank), then the members of each ensemble size, merged over the sharers
// when members are split, scored by the scoring rank.
void evaluate_batch(models::Model& model, const BatchJob& job, int64_t batches, const std::vector<int64_t>& sizes,
                    const EvalPlan& plan, dist::Collectives& comm, ShardSums& sums) {
  const Prediction kind = model.prediction_kind();
  const Share& share = job.share;
  const bool split = members_split(batches, comm.world_size());
  TargetRows dense;
  if (share.scores()) {
    model.set_attention_mode(attn::AttentionMode::kDense);
    dense = rows_of(kind, predict(model, job), job.batch, job.first);
    sums.dense.add(dense.prediction, dense.targets, {});
  }
  model.set_attention_mode(attn::AttentionMode::kSubsampled);
  SplitShape shape;
  if (split && !sizes.empty()) {
    const int64_t classes = !share.scores() ? 0 : kind == Prediction::kValues ? 1 : dense.prediction.size(1);
    shape = agree_split_shape(batches, scored_rows(kind, job.batch), classes, comm);
  }
  MemberEnsemble mine(kind), all(kind);
  int64_t member = 0;  // the next member to draw
  for (size_t i = 0; i < sizes.size(); ++i) {
    for (; member < sizes[i]; ++member) {
      if (share.holds(member)) mine.add(member_prediction(model, job, plan, member));
    }
    all = split ? merge_sharers(kind, mine, share, sizes[i], shape, comm) : mine;
    if (!share.scores()) continue;
    const auto view = all.view();
    sums.ensemble[i].add(view.prediction, dense.targets, view.spread);
  }
  if (!plan.per_example || !share.scores()) return;
  const auto view = sizes.empty() ? EnsembleView{} : all.view();
  sums.examples.push_back(example_block(kind, dense, sizes.empty() ? nullptr : &view));
}

// Leaves the model as evaluation found it: training mode and sampler state (even on an error).
class ModelStateGuard {
 public:
  explicit ModelStateGuard(models::Model& model)
      : model_(model), was_training_(model.is_training()), sampler_state_(model.sampler().state()) {}
  ~ModelStateGuard() {
    model_.sampler().set_state(sampler_state_);
    if (was_training_) model_.train();
  }
  ModelStateGuard(const ModelStateGuard&) = delete;
  ModelStateGuard& operator=(const ModelStateGuard&) = delete;

 private:
  models::Model& model_;
  bool was_training_;
  at::Tensor sampler_state_;
};

void evaluate_shard(models::Model& model, const data::Dataset& valid, const EvalConfig& config,
                    const at::Device& device, dist::Collectives& comm, const EvalPlan& plan, ShardSums& sums) {
  int64_t total = valid.size();
  if (config.batches > 0) total = std::min(total, config.batches * config.batch_size);
  const int64_t batches = (total + config.batch_size - 1) / config.batch_size;
  const auto sizes = ensemble_sizes(config.ensemble_samples);
  const FaultInjection faults;  // tests only: eval_kill@B:R, eval_nan@B:R, eval_slow@B/ms
  for (const Share& share : shares_of_rank(batches, comm.world_size(), comm.rank())) {
    const int64_t first = share.batch * config.batch_size;
    if (faults.fires("eval_kill", share.batch + 1, comm.rank())) std::raise(SIGKILL);
    const int64_t delay_ms = faults.amount("eval_slow", share.batch + 1, comm.rank());
    if (delay_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    std::vector<int64_t> indices;
    for (int64_t i = first; i < std::min(total, first + config.batch_size); ++i) indices.push_back(i);
    const auto batch = valid.batch(indices, std::nullopt).to(device);
    const bool poisoned = faults.fires("eval_nan", share.batch + 1, comm.rank());
    evaluate_batch(model, {batch, first, share, poisoned}, batches, sizes, plan, comm, sums);
  }
}

// Every rank's sums combined, on every rank.
EvalResult combine(ShardSums& sums, const std::vector<int64_t>& sizes, dist::Collectives& comm) {
  EvalResult r;
  sums.dense.all_reduce(comm);
  r.targets = sums.dense.count();
  r.dense = sums.dense.score();
  for (size_t k = 0; k < sizes.size(); ++k) {
    sums.ensemble[k].all_reduce(comm);
    r.ensemble.push_back({sizes[k], sums.ensemble[k].score()});
  }
  return r;
}

// All ranks' per-example rows, ordered by (example, position).
ExampleRows gather_examples(const std::vector<at::Tensor>& blocks, int64_t columns, dist::Collectives& comm) {
  const auto mine = blocks.empty() ? at::zeros({0, columns}, at::kDouble) : at::cat(blocks);
  const auto all = comm.all_gather_rows(mine);  // (targets, columns)
  if (all.size(0) == 0) return all;
  const auto key = all.select(1, 0) * (all.select(1, 1).max().item<double>() + 1) + all.select(1, 1);
  return all.index_select(0, key.argsort());
}

}  // namespace

std::vector<std::string> example_columns(Prediction kind) {
  if (kind == Prediction::kValues) {
    return {"example", "position", "target", "dense_prediction", "ensemble_prediction", "ensemble_std"};
  }
  return {"example",
          "position",
          "target",
          "dense_prediction",
          "dense_target_probability",
          "ensemble_prediction",
          "ensemble_target_probability",
          "ensemble_mutual_information"};
}

bool all_finite(const EvalResult& result) {
  const auto finite = [](const Score& s) {
    if (!std::isfinite(s.loss)) return false;
    for (const auto& [name, value] : s.metrics) {
      if (!std::isfinite(value)) return false;
    }
    return true;
  };
  if (!finite(result.dense)) return false;
  for (const auto& point : result.ensemble) {
    if (!finite(point.score)) return false;
  }
  return true;
}

uint64_t ensemble_seed(int64_t run_seed) { return mix_seed(static_cast<uint64_t>(run_seed), kEnsembleSalt); }

EvalResult evaluate(models::Model& model, const data::Dataset& valid, data::Task task, const EvalConfig& config,
                    const at::Device& device, dist::Collectives& comm, const EvalPlan& plan) {
  torch::NoGradGuard no_grad;
  const ModelStateGuard restore(model);  // evaluation must not shift training draws
  model.eval();
  const Prediction kind = model.prediction_kind();
  const auto sizes = ensemble_sizes(config.ensemble_samples);
  ShardSums sums{ScoreSums(kind, task, false), {}, {}};
  for (size_t k = 0; k < sizes.size(); ++k) sums.ensemble.emplace_back(kind, task, true);
  dist::run_agreeing(comm, "validation", [&] { evaluate_shard(model, valid, config, device, comm, plan, sums); });
  EvalResult r = combine(sums, sizes, comm);
  if (plan.per_example)
    r.examples = gather_examples(sums.examples, static_cast<int64_t>(example_columns(kind).size()), comm);
  return r;
}

EvalResult evaluate(models::Model& model, const data::Dataset& valid, data::Task task, const EvalConfig& config,
                    const at::Device& device, const EvalPlan& plan) {
  dist::Communicator alone(dist::LaunchInfo{}, device, std::chrono::milliseconds(1000), std::chrono::milliseconds(1000));
  return evaluate(model, valid, task, config, device, alone, plan);
}

}  // namespace ssa::train
