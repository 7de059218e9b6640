// Dense and self-ensemble evaluation over a validation Dataset, sharded over ranks (see evaluator.h).
#include "lib/train/evaluator.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <csignal>
#include <limits>

#include <ATen/ATen.h>
#include <torch/csrc/autograd/grad_mode.h>

#include "lib/core/splitmix.h"
#include "lib/dist/agreement.h"
#include "lib/dist/communicator.h"
#include "lib/train/fault_injection.h"
#include "lib/train/uncertainty.h"

namespace ssa::train {
namespace {

using models::Prediction;

constexpr uint64_t kEnsembleSalt = 0x656e73656d626c65;  // "ensemble"

// 1, 2, 4, ... below n, then n: where the ensemble curve is reported.
std::vector<int64_t> ensemble_checkpoints(int64_t n) {
  std::vector<int64_t> points;
  for (int64_t k = 1; k < n; k *= 2) points.push_back(k);
  if (n > 0) points.push_back(n);
  return points;
}

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

// What an ensemble of the members so far predicts, and how far its members spread.
struct EnsembleView {
  at::Tensor prediction;  // (N, K) log of the mean probabilities, or (N) float64 the mean value
  at::Tensor spread;      // (N) float64 the members' mean entropy, or their standard deviation
};

// Running combination of members' rows: the log of their summed probabilities and their summed
// entropies, or (Welford, float64) the mean and summed squared deviations of their values. Sums
// of members on other ranks merge in, in any grouping, to the same view up to rounding.
class MemberAccumulator {
 public:
  explicit MemberAccumulator(Prediction kind) : kind_(kind) {}
  void add(const at::Tensor& member) {
    if (kind_ == Prediction::kValues) {
      merge_values(1, member.to(at::kDouble), at::zeros_like(member, at::kDouble));
    } else {
      merge_distributions(1, member, entropy_of_log_probs(member));
    }
  }
  // The state as flat float64 [members, then per row: log-sums (K) or mean, then entropy or
  // squares], for another rank; empty before the first member.
  at::Tensor flat() const {
    if (n_ == 0) return at::zeros({0}, at::kDouble);
    const auto first = kind_ == Prediction::kValues ? mean_ : sum_.to(at::kDouble).reshape({-1});
    return at::cat({at::full({1}, static_cast<double>(n_), second_.options()), first, second_});
  }
  // Merges another accumulator's flat() state over the same `rows` targets.
  void merge(const at::Tensor& flat, int64_t rows) {
    if (flat.numel() == 0) return;
    const auto n = static_cast<int64_t>(flat[0].item<double>());
    const auto first = flat.slice(0, 1, flat.numel() - rows), second = flat.slice(0, flat.numel() - rows);
    if (kind_ == Prediction::kValues) return merge_values(n, first, second);
    merge_distributions(n, first.reshape({rows, -1}).to(model_dtype()), second);
  }
  EnsembleView view() const {
    const auto n = static_cast<double>(n_);
    if (kind_ == Prediction::kValues) return {mean_, (second_ / n).sqrt()};
    return {sum_ - std::log(n), second_ / n};
  }

 private:
  at::ScalarType model_dtype() const { return sum_.defined() ? sum_.scalar_type() : at::kFloat; }
  void merge_distributions(int64_t n, const at::Tensor& log_sum, const at::Tensor& entropy_sum) {
    sum_ = sum_.defined() ? at::logaddexp(sum_, log_sum.to(sum_.device())) : log_sum;  // (N, K)
    second_ = second_.defined() ? second_ + entropy_sum.to(second_.device()) : entropy_sum.to(at::kDouble);
    n_ += n;
  }
  // Chan et al.'s pairwise update of (count, mean, squared deviations); one value is n = 1, m2 = 0.
  void merge_values(int64_t n, const at::Tensor& mean, const at::Tensor& m2) {
    if (n_ == 0) {
      n_ = n, mean_ = mean, second_ = m2;
      return;
    }
    const double total = static_cast<double>(n_ + n), share = static_cast<double>(n) / total;
    const auto delta = mean.to(mean_.device()) - mean_;
    second_ = second_ + m2.to(mean_.device()) + delta.pow(2) * (static_cast<double>(n_) * share);
    mean_ = mean_ + delta * share;
    n_ += n;
  }

  Prediction kind_;
  int64_t n_ = 0;
  at::Tensor sum_;     // distributions: (N, K) log of the summed probabilities, in the model's dtype
  at::Tensor mean_;    // values: (N) float64
  at::Tensor second_;  // (N) float64: summed member entropies, or summed squared deviations
};

// What a rank accumulates over its batches.
struct ShardSums {
  ScoreSums dense;
  std::vector<ScoreSums> ensemble;   // one per ensemble checkpoint
  std::vector<at::Tensor> examples;  // per-example blocks (EvalPlan::per_example)
};

// Per-example block (N, columns) of one batch; see example_columns.
at::Tensor example_block(Prediction kind, const TargetRows& dense, const EnsembleView* ensemble) {
  const auto d = [](const at::Tensor& t) { return t.to(at::kCPU, at::kDouble); };
  const int64_t n = dense.targets.size(0);
  const auto missing = at::full({n}, std::numeric_limits<double>::quiet_NaN(), at::kDouble);
  std::vector<at::Tensor> columns{d(dense.example), d(dense.position), d(dense.targets)};
  if (kind == Prediction::kValues) {
    columns.insert(columns.end(), {d(dense.prediction), ensemble ? d(ensemble->prediction) : missing,
                                   ensemble ? d(ensemble->spread) : missing});
    return at::stack(columns, 1);
  }
  const auto t = dense.targets.unsqueeze(1);
  const auto target_probability = [&](const at::Tensor& lp) { return d(lp.gather(1, t).squeeze(1).exp()); };
  columns.insert(columns.end(), {d(dense.prediction.argmax(1)), target_probability(dense.prediction)});
  if (!ensemble) {
    columns.insert(columns.end(), {missing, missing, missing});
    return at::stack(columns, 1);
  }
  const auto mutual_information = (d(entropy_of_log_probs(ensemble->prediction)) - d(ensemble->spread)).clamp_min(0);
  columns.insert(columns.end(),
                 {d(ensemble->prediction.argmax(1)), target_probability(ensemble->prediction), d(mutual_information)});
  return at::stack(columns, 1);
}

// Member k of batch b: its SSA draws depend on (seed, b, k) only.
uint64_t member_seed(uint64_t seed, int64_t batch, int64_t member) {
  return mix_seed(mix_seed(seed, static_cast<uint64_t>(batch)), static_cast<uint64_t>(member));
}

// This rank's part in one batch: the batch is shared by `sharers` ranks, `stride` apart from the
// one that computes dense attention and scores (position 0); this rank is the position-th.
// Members k = position, position + sharers, ... are this rank's.
struct Share {
  int64_t batch = 0;  // batch number
  int64_t sharers = 1, position = 0, stride = 1;
};

struct BatchJob {
  const data::Batch& batch;
  int64_t first = 0;  // first example
  Share share;
};

at::Tensor member_prediction(models::Model& model, const BatchJob& job, const EvalPlan& plan, int64_t member) {
  model.sampler().reseed(member_seed(plan.ensemble_seed, job.share.batch, member));
  return model.predict(job.batch);  // already the scored rows: (N, K) or (N), as rows_of keeps them
}

// The members' sums of all sharers of the batch, merged in rank order; the scoring rank's only.
// Every rank takes part in the gather, once per ensemble checkpoint.
MemberAccumulator merge_sharers(Prediction kind, const MemberAccumulator& mine, const BatchJob& job, int64_t rows,
                                dist::Communicator& comm) {
  const auto parts = comm.all_gather_varying(mine.flat());  // (.) per rank
  MemberAccumulator all(kind);
  if (job.share.position != 0) return all;
  for (int64_t k = 0; k < job.share.sharers; ++k) {
    all.merge(parts[static_cast<size_t>(comm.rank() + k * job.share.stride)], rows);
  }
  return all;
}

void evaluate_batch(models::Model& model, const BatchJob& job, const std::vector<int64_t>& points, const EvalPlan& plan,
                    dist::Communicator& comm, ShardSums& sums) {
  const Prediction kind = model.prediction_kind();
  const Share& share = job.share;
  const bool scores = share.position == 0;
  TargetRows dense;
  if (scores) {
    model.set_attention_mode(attn::AttentionMode::kDense);
    dense = rows_of(kind, model.predict(job.batch), job.batch, job.first);
    sums.dense.add(dense.prediction, dense.targets, {});
  }
  model.set_attention_mode(attn::AttentionMode::kSubsampled);
  MemberAccumulator mine(kind), all(kind);
  for (int64_t n = 1, k = 0; k < static_cast<int64_t>(points.size()); ++n) {
    if ((n - 1) % share.sharers == share.position) mine.add(member_prediction(model, job, plan, n - 1));
    if (n != points[static_cast<size_t>(k)]) continue;
    all = share.sharers == 1 ? mine : merge_sharers(kind, mine, job, scores ? dense.targets.size(0) : 0, comm);
    const auto view = scores ? all.view() : EnsembleView{};
    if (scores) sums.ensemble[static_cast<size_t>(k)].add(view.prediction, dense.targets, view.spread);
    ++k;
  }
  if (!plan.per_example || !scores) return;
  const auto view = points.empty() ? EnsembleView{} : all.view();
  sums.examples.push_back(example_block(kind, dense, points.empty() ? nullptr : &view));
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

// Which batches this rank evaluates. With at least as many batches as ranks, batch b is rank
// (b mod world)'s alone (uneven shards differ by one batch) and members never leave their rank.
// With fewer batches B than ranks, ranks b, b + B, b + 2B, ... share batch b and split its
// ensemble members, whose sums meet on rank b at each ensemble checkpoint.
std::vector<Share> shares_of_rank(int64_t batches, const dist::Communicator& comm) {
  const int64_t world = comm.world_size(), rank = comm.rank();
  std::vector<Share> shares;
  if (batches >= world) {
    for (int64_t b = rank; b < batches; b += world) shares.push_back({b, 1, 0, 1});
  } else if (batches > 0) {
    const int64_t b = rank % batches;
    shares.push_back({b, (world - 1 - b) / batches + 1, rank / batches, batches});
  }
  return shares;
}

void evaluate_shard(models::Model& model, const data::Dataset& valid, const EvalConfig& config,
                    const at::Device& device, dist::Communicator& comm, const EvalPlan& plan, ShardSums& sums) {
  int64_t total = valid.size();
  if (config.batches > 0) total = std::min(total, config.batches * config.batch_size);
  const auto points = ensemble_checkpoints(config.ensemble_samples);
  const FaultInjection faults;  // tests only: eval_kill@B:R
  for (const Share& share : shares_of_rank((total + config.batch_size - 1) / config.batch_size, comm)) {
    const int64_t first = share.batch * config.batch_size;
    if (faults.fires("eval_kill", share.batch + 1, comm.rank())) std::raise(SIGKILL);
    std::vector<int64_t> indices;
    for (int64_t i = first; i < std::min(total, first + config.batch_size); ++i) indices.push_back(i);
    const auto batch = valid.batch(indices, std::nullopt).to(device);
    evaluate_batch(model, {batch, first, share}, points, plan, comm, sums);
  }
}

// Every rank's sums combined, on every rank.
EvalResult combine(ShardSums& sums, const std::vector<int64_t>& points, dist::Communicator& comm) {
  EvalResult r;
  sums.dense.all_reduce(comm);
  r.targets = sums.dense.count();
  r.dense = sums.dense.score();
  for (size_t k = 0; k < points.size(); ++k) {
    sums.ensemble[k].all_reduce(comm);
    r.ensemble.push_back({points[k], sums.ensemble[k].score()});
  }
  return r;
}

// All ranks' per-example rows, ordered by (example, position).
ExampleRows gather_examples(const std::vector<at::Tensor>& blocks, int64_t columns, dist::Communicator& comm) {
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

uint64_t ensemble_seed(int64_t run_seed) { return mix_seed(static_cast<uint64_t>(run_seed), kEnsembleSalt); }

EvalResult evaluate(models::Model& model, const data::Dataset& valid, data::Task task, const EvalConfig& config,
                    const at::Device& device, dist::Communicator& comm, const EvalPlan& plan) {
  torch::NoGradGuard no_grad;
  const ModelStateGuard restore(model);  // evaluation must not shift training draws
  model.eval();
  const Prediction kind = model.prediction_kind();
  const auto points = ensemble_checkpoints(config.ensemble_samples);
  ShardSums sums{ScoreSums(kind, task, false), {}, {}};
  for (size_t k = 0; k < points.size(); ++k) sums.ensemble.emplace_back(kind, task, true);
  dist::run_agreeing(comm, "validation", [&] { evaluate_shard(model, valid, config, device, comm, plan, sums); });
  EvalResult r = combine(sums, points, comm);
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
