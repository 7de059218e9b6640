// The evaluator's collectives, with ranks simulated as threads (tests/support/simulated_ranks.h):
// every rank issues the same collectives in the same order for every world <= 6, batches <= 7
// and ensemble <= 5, for class and value predictions, and every world size gives the 1-rank
// scores; the buffer a rank hands to one collective stays within kMergeBufferBytes at a
// 32,000-way vocabulary.
#include "tests/support/catch.h"

#include <cmath>
#include <memory>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include "lib/train/eval_plan.h"
#include "lib/train/evaluator.h"
#include "tests/support/simulated_ranks.h"

using namespace ssa;

namespace {

// Dense: a fixed function of the inputs; SSA mode: that plus a draw from the sampler's
// generator, which evaluation reseeds per (batch, member), so every rank's member k agrees.
class NoisyModel : public models::Model {
 public:
  NoisyModel(models::Prediction kind, int64_t classes) : kind_(kind), classes_(classes), sampler_(3) {}
  models::LossOutput loss(const data::Batch&) override { return {}; }
  models::Prediction prediction_kind() const override { return kind_; }
  at::Tensor predict(const data::Batch& batch) override {
    const int64_t b = batch.size();
    auto logits = batch.input.reshape({b, 1}) * at::linspace(-1, 1, classes_).reshape({1, classes_});  // (B, K)
    if (mode_ == attn::AttentionMode::kSubsampled) logits = logits + at::rand({b, classes_}, sampler_.generator());
    if (kind_ == models::Prediction::kValues) return logits.select(1, 0);  // (B)
    return at::log_softmax(logits * 3, 1);                                 // (B, K)
  }
  double forward_flops(const data::Batch&, bool) const override { return 0; }
  void set_attention_mode(attn::AttentionMode mode) override { mode_ = mode; }
  attn::SourceSampler& sampler() override { return sampler_; }
  double last_attention_fraction() const override { return 1; }

 private:
  models::Prediction kind_;
  int64_t classes_;
  attn::SourceSampler sampler_;
  attn::AttentionMode mode_ = attn::AttentionMode::kSubsampled;
};

// n examples: input i / n, target i mod classes (or that as a value).
class Examples : public data::Dataset {
 public:
  Examples(int64_t n, int64_t classes, bool values) : n_(n), classes_(classes), values_(values) {}
  int64_t size() const override { return n_; }
  data::Batch batch(const std::vector<int64_t>& indices, std::optional<uint64_t>) const override {
    const auto i = at::tensor(indices, at::kLong);
    const auto target = i.remainder(classes_);
    return {(i.to(at::kFloat) / static_cast<double>(n_)).reshape({-1, 1}), values_ ? target.to(at::kFloat) : target};
  }
  std::string describe() const override { return "examples"; }

 private:
  int64_t n_, classes_;
  bool values_;
};

struct Outcome {
  train::EvalResult result;
  std::vector<std::vector<std::string>> calls;  // per rank
  int64_t max_call_bytes = 0;
};

Outcome evaluate_on(int world, models::Prediction kind, int64_t classes, const data::Dataset& data,
                    const train::EvalConfig& config) {
  std::vector<std::unique_ptr<NoisyModel>> models;
  for (int r = 0; r < world; ++r) models.push_back(std::make_unique<NoisyModel>(kind, classes));
  const data::Task task = kind == models::Prediction::kValues ? data::Task::kGraphRegression
                                                              : data::Task::kImageClassification;
  test::SimulatedGroup group(world);
  std::vector<train::EvalResult> results(static_cast<size_t>(world));
  group.run([&](test::SimulatedRank& rank) {
    auto& model = *models[static_cast<size_t>(rank.rank())];
    results[static_cast<size_t>(rank.rank())] = train::evaluate(model, data, task, config, at::kCPU, rank, {9, true});
  });
  Outcome out{results[0], {}, 0};
  for (int r = 0; r < world; ++r) {
    out.calls.push_back(group.rank(r).calls());
    out.max_call_bytes = std::max(out.max_call_bytes, group.rank(r).max_call_bytes());
  }
  return out;
}

// Scores of two rank counts: the same member predictions (bitwise: seeded per batch and member),
// combined in other groupings. Every sum is of float64 terms of one sign or is a mean of such,
// and the mutual information is a sum of terms >= 0 (member_ensemble.h), so the relative
// difference is a few float64 epsilons times the number of terms (< 100 here): 1e-12.
void check_same_scores(const train::Score& a, const train::Score& b) {
  CHECK(b.loss == Approx(a.loss).epsilon(1e-12).margin(1e-300));
  for (const auto& [name, value] : a.metrics) {
    INFO(name);
    // ECE: a flip of a confidence over a bin edge moves it by up to 2/N; the confidences here are
    // the same bits on every rank count, so no flip can happen.
    CHECK(b.metric(name) == Approx(value).epsilon(1e-12).margin(1e-15));
  }
}

}  // namespace

TEST_CASE("every rank issues the same collectives in the same order, and any world gives the 1-rank scores",
          "[eval][dist][plan]") {
  at::set_num_threads(1);
  for (const auto kind : {models::Prediction::kClassLogProbs, models::Prediction::kValues}) {
    for (int64_t batches = 1; batches <= 7; ++batches) {
      const Examples data(2 * batches - (batches > 1 ? 1 : 0), 3, kind == models::Prediction::kValues);  // ragged last
      for (int64_t samples = 0; samples <= 5; ++samples) {
        train::EvalConfig config;
        config.batch_size = 2;
        config.ensemble_samples = samples;
        const auto alone = evaluate_on(1, kind, 3, data, config);
        for (int world = 2; world <= 6; ++world) {
          INFO("world " << world << ", batches " << batches << ", ensemble " << samples);
          const auto many = evaluate_on(world, kind, 3, data, config);
          for (int r = 1; r < world; ++r) CHECK(many.calls[static_cast<size_t>(r)] == many.calls[0]);
          check_same_scores(alone.result.dense, many.result.dense);
          REQUIRE(many.result.ensemble.size() == alone.result.ensemble.size());
          for (size_t k = 0; k < alone.result.ensemble.size(); ++k)
            check_same_scores(alone.result.ensemble[k].score, many.result.ensemble[k].score);
          CHECK(at::allclose(many.result.examples, alone.result.examples, 1e-12, 1e-15, /*equal_nan=*/true));
        }
      }
    }
  }
}

TEST_CASE("split members merge in rounds whose buffers stay within kMergeBufferBytes at V = 32,000",
          "[eval][dist][plan][memory]") {
  at::set_num_threads(1);
  constexpr int64_t kVocab = 32000, kRows = 300;  // 300 x 32,000 x 8 bytes = 77 MB: two rounds
  const auto rounds = train::merge_rounds(1, kRows, kVocab, train::kMergeBufferBytes);
  CHECK(rounds.rows_per_round == train::kMergeBufferBytes / (kVocab * 8));  // 262
  CHECK(rounds.rounds == 2);
  train::EvalConfig config;
  config.batch_size = kRows;
  config.ensemble_samples = 3;
  const Examples data(kRows, kVocab, false);
  const auto split = evaluate_on(3, models::Prediction::kClassLogProbs, kVocab, data, config);  // 1 batch, 3 ranks
  CHECK(split.max_call_bytes <= train::kMergeBufferBytes);
  CHECK(split.max_call_bytes >= train::kMergeBufferBytes - kVocab * 8);  // the round buffer was the largest
  const auto alone = evaluate_on(1, models::Prediction::kClassLogProbs, kVocab, data, config);
  check_same_scores(alone.result.ensemble.back().score, split.result.ensemble.back().score);
}
