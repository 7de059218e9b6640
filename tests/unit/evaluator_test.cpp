// Evaluation: sliding windows score every target exactly once with the promised context
// (fairseq semantics), sliding evaluation matches a brute-force per-token oracle, a 1-sample
// ensemble with SSA off equals dense evaluation, evaluation leaves training state untouched, ensembles report the
// uncertainty of their averaged members, per-example rows and seeded member draws.
#include "tests/support/catch.h"

#include <cmath>

#include <ATen/ATen.h>
#include <torch/torch.h>

#include "lib/data/text_datasets.h"
#include "lib/train/evaluator.h"
#include "lib/train/uncertainty.h"
#include "tests/support/uncertainty_oracles.h"
#include "models/decoder/decoder.h"

using namespace ssa;
using data::EvalWindow;
using train::EvalConfig;

namespace {

train::EvalResult evaluate_stream(models::Model& model, const at::Tensor& s, int64_t seq_len, const EvalConfig& c) {
  const data::TokenWindows windows(s, seq_len, c.context);
  return train::evaluate(model, windows, data::Task::kLanguageModel, c, at::kCPU);
}

}  // namespace

namespace {

constexpr int64_t kVocab = 50, kT = 8;

std::shared_ptr<models::Decoder> tiny_decoder(int64_t windows) {
  models::DecoderConfig c = models::decoder_flavor("tiny");
  c.vocab_size = kVocab;
  c.ssa.windows = windows;
  torch::manual_seed(0);
  return std::make_shared<models::Decoder>(c, 1);
}

at::Tensor stream(int64_t n) {
  torch::manual_seed(5);
  return at::randint(0, kVocab, {n}, at::kLong);
}

EvalConfig eval_config(int64_t context, int64_t ensemble_samples) {
  EvalConfig c;
  c.batch_size = 3;
  c.context = context;
  c.ensemble_samples = ensemble_samples;
  return c;
}

}  // namespace

TEST_CASE("sliding windows score each target once, with the requested context", "[eval][windows]") {
  for (const int64_t n : {9, 10, 17, 40, 41, 100}) {
    for (const int64_t context : {0, 1, 3, 7}) {
      const auto windows = data::sliding_windows(n, kT, context);
      std::vector<int> scored(static_cast<size_t>(n), 0);
      for (size_t k = 0; k < windows.size(); ++k) {
        const EvalWindow& w = windows[k];
        REQUIRE(w.start >= 0);
        REQUIRE(w.start + kT <= n - 1);  // the last target stays inside the stream
        // Every window after the first conditions each scored token on >= context prior tokens.
        if (k > 0) REQUIRE(w.first_scored >= context);
        // Non-tail windows advance by exactly the stride.
        if (k > 0 && k + 1 < windows.size()) REQUIRE(kT - w.first_scored == kT - context);
        for (int64_t t = w.first_scored; t < kT; ++t) scored[static_cast<size_t>(w.start + t + 1)] += 1;
      }
      INFO("n " << n << " context " << context);
      REQUIRE(scored[0] == 0);
      for (int64_t p = 1; p < n; ++p) REQUIRE(scored[static_cast<size_t>(p)] == 1);
    }
  }
  REQUIRE(data::sliding_windows(8, kT, 0).empty());  // too short for one window of targets
}

TEST_CASE("sliding evaluation equals the brute-force per-token oracle", "[eval][windows]") {
  auto model = tiny_decoder(4);
  const auto s = stream(30);
  const auto r = evaluate_stream(*model, s, kT, eval_config(kT - 1, 0));
  REQUIRE(r.targets == 29);
  // Oracle: target p is predicted from stream[max(0, p-T) : p], dense attention, one at a time.
  torch::NoGradGuard no_grad;
  model->eval();
  model->set_attention_mode(attn::AttentionMode::kDense);
  double nll = 0;
  for (int64_t p = 1; p < 30; ++p) {
    const int64_t start = std::max<int64_t>(0, p - kT);
    const int64_t pos = p <= kT ? p - 1 : kT - 1;  // position of the prediction inside the window
    const data::Batch b{s.slice(0, start, start + kT).unsqueeze(0), s.slice(0, start + 1, start + kT + 1).unsqueeze(0)};
    nll -= model->predict(b)[pos][b.target[0][pos].item<int64_t>()].item<double>();  // (T, V): one window
  }
  REQUIRE(r.dense.loss == Approx(nll / 29).epsilon(1e-5));
  REQUIRE(r.dense.metric("perplexity") == Approx(std::exp(nll / 29)).epsilon(1e-5));
}

TEST_CASE("a 1-sample ensemble with a single SSA window equals dense evaluation", "[eval][ensemble]") {
  auto model = tiny_decoder(1);
  const auto r = evaluate_stream(*model, stream(60), kT, eval_config(2, 1));
  REQUIRE(r.ensemble.size() == 1);
  REQUIRE(r.ensemble[0].score.loss == Approx(r.dense.loss).epsilon(1e-6));
}

TEST_CASE("the ensemble curve is reported at 1, 2, 4 and N samples and differs from dense", "[eval][ensemble]") {
  auto model = tiny_decoder(4);
  const auto r = evaluate_stream(*model, stream(60), kT, eval_config(0, 5));
  REQUIRE(r.ensemble.size() == 4);
  CHECK(r.ensemble[0].samples == 1);
  CHECK(r.ensemble[3].samples == 5);
  CHECK(r.ensemble[0].score.loss != Approx(r.dense.loss).epsilon(1e-4));
  for (const auto& point : r.ensemble) CHECK(std::isfinite(point.score.loss));
}

TEST_CASE("evaluation restores the sampler state and training mode", "[eval]") {
  auto model = tiny_decoder(4);
  model->train();
  const auto before = model->sampler().state().clone();
  evaluate_stream(*model, stream(40), kT, eval_config(0, 3));
  REQUIRE(model->is_training());
  REQUIRE(at::equal(model->sampler().state(), before));
}

namespace {

// A stand-in model whose every SSA-mode prediction is a fresh draw from its sampler's generator,
// and whose dense prediction is fixed: enough to check how ensembles combine members.
class DrawingModel : public models::Model {
 public:
  explicit DrawingModel(models::Prediction kind) : kind_(kind), sampler_(11) {}
  models::LossOutput loss(const data::Batch&) override { return {}; }
  models::Prediction prediction_kind() const override { return kind_; }
  at::Tensor predict(const data::Batch& batch) override {
    const int64_t b = batch.size();
    const bool dense = mode_ == attn::AttentionMode::kDense;
    const auto draw = dense ? at::zeros({b, 3}) : at::rand({b, 3}, sampler_.generator());
    members.push_back(draw);
    if (kind_ == models::Prediction::kValues) return draw.select(1, 0);  // (B)
    return at::log_softmax(draw * 4, 1);                                 // (B, 3)
  }
  double forward_flops(const data::Batch&, bool) const override { return 0; }
  void set_attention_mode(attn::AttentionMode mode) override { mode_ = mode; }
  attn::SourceSampler& sampler() override { return sampler_; }
  double last_attention_fraction() const override { return 1; }
  std::vector<at::Tensor> members;  // every prediction made, in order

 private:
  models::Prediction kind_;
  attn::SourceSampler sampler_;
  attn::AttentionMode mode_ = attn::AttentionMode::kSubsampled;
};

// Four examples with targets 0, 1, 2, 0 (class ids, or values).
class FourExamples : public data::Dataset {
 public:
  explicit FourExamples(bool values) : values_(values) {}
  int64_t size() const override { return 4; }
  data::Batch batch(const std::vector<int64_t>& indices, std::optional<uint64_t>) const override {
    const auto target =
        at::tensor(std::vector<int64_t>{0, 1, 2, 0}, at::kLong).index_select(0, at::tensor(indices, at::kLong));
    return {at::zeros({static_cast<int64_t>(indices.size()), 1}), values_ ? target.to(at::kFloat) : target};
  }
  std::string describe() const override { return "four examples"; }

 private:
  bool values_;
};

}  // namespace

TEST_CASE("regression ensembles average the members' values: the score is their MAE", "[eval][ensemble]") {
  DrawingModel model(models::Prediction::kValues);
  EvalConfig c = eval_config(0, 3);
  c.batch_size = 4;
  const auto r = train::evaluate(model, FourExamples(true), data::Task::kGraphRegression, c, at::kCPU);
  REQUIRE(model.members.size() == 4);  // dense, then 3 ensemble members
  const auto target = at::tensor({0.0f, 1.0f, 2.0f, 0.0f});
  const auto mean3 = (model.members[1] + model.members[2] + model.members[3]).select(1, 0) / 3;
  CHECK(r.ensemble.back().score.metric("mae") == Approx((mean3 - target).abs().mean().item<double>()));
  CHECK(r.dense.metric("mae") == Approx(target.abs().mean().item<double>()));  // dense predicts 0
  CHECK(r.ensemble[0].score.metric("mae") == Approx((model.members[1].select(1, 0) - target).abs().mean().item<double>()));
}

TEST_CASE(
    "classification ensembles average probabilities: accuracy, calibration, entropy and mutual "
    "information are those of the averaged members",
    "[eval][ensemble][uncertainty]") {
  DrawingModel model(models::Prediction::kClassLogProbs);
  EvalConfig c = eval_config(0, 2);
  c.batch_size = 4;
  const auto r = train::evaluate(model, FourExamples(false), data::Task::kImageClassification, c, at::kCPU);
  REQUIRE(model.members.size() == 3);  // dense, then 2 members
  const auto members =
      at::stack({at::softmax(model.members[1] * 4, 1), at::softmax(model.members[2] * 4, 1)}).to(at::kDouble);  // (2, 4, 3)
  const auto probs = members.mean(0);  // (4, 3)
  const auto target = at::tensor(std::vector<int64_t>{0, 1, 2, 0}, at::kLong);
  const double nll = -probs.log().gather(1, target.unsqueeze(1)).mean().item<double>();
  const double accuracy = probs.argmax(1).eq(target).to(at::kDouble).mean().item<double>();
  const auto& e = r.ensemble.back().score;
  CHECK(e.loss == Approx(nll).epsilon(1e-5));
  CHECK(e.metric("accuracy") == Approx(accuracy));
  CHECK(e.metric("ece") == Approx(test::expected_calibration_error(probs, target)));
  CHECK(e.metric("brier") == Approx(test::brier_score(probs, target)));
  CHECK(e.metric("entropy") == Approx(test::mean_predictive_entropy(members)));
  CHECK(e.metric("mutual_information") == Approx(test::mutual_information(members)));
  CHECK(r.dense.loss == Approx(std::log(3.0)).epsilon(1e-6));  // uniform dense prediction
  CHECK(r.dense.metric("entropy") == Approx(std::log(3.0)));
  CHECK(r.dense.metric("brier") == Approx(2.0 / 3.0));  // 3 (1/3)^2 - 2/3 + 1
}

namespace {

// (M, N) member values -> (N) their standard deviation over the M members (divided by M).
at::Tensor population_std(const at::Tensor& values) { return (values - values.mean(0)).pow(2).mean(0).sqrt(); }

}  // namespace

TEST_CASE("regression ensembles report the members' spread and its rank correlation with the error",
          "[eval][ensemble][uncertainty]") {
  DrawingModel model(models::Prediction::kValues);
  EvalConfig c = eval_config(0, 3);
  c.batch_size = 4;
  const auto r = train::evaluate(model, FourExamples(true), data::Task::kGraphRegression, c, at::kCPU);
  const auto values = at::stack({model.members[1], model.members[2], model.members[3]}).select(2, 0).to(at::kDouble);
  const auto std = population_std(values);  // (4)
  const auto error = (values.mean(0) - at::tensor({0.0, 1.0, 2.0, 0.0}, at::kDouble)).abs();
  const auto& e = r.ensemble.back().score;
  CHECK(e.metric("std") == Approx(std.mean().item<double>()));
  CHECK(e.metric("std_error_spearman") == Approx(train::spearman_correlation(std, error)));
  CHECK(std::isnan(r.dense.metric("std")));
}

TEST_CASE("per-example rows: one per target in dataset order, over uneven batches", "[eval][ensemble]") {
  DrawingModel model(models::Prediction::kValues);
  EvalConfig c = eval_config(0, 2);  // batches of 3: examples 0-2, then 3
  const auto r = train::evaluate(model, FourExamples(true), data::Task::kGraphRegression, c, at::kCPU, {7, true});
  REQUIRE(r.examples.sizes() == std::vector<int64_t>{4, 6});
  REQUIRE(train::example_columns(models::Prediction::kValues).size() == 6);
  CHECK(at::equal(r.examples.select(1, 0), at::arange(4, at::kDouble)));                     // example
  CHECK(at::equal(r.examples.select(1, 2), at::tensor({0.0, 1.0, 2.0, 0.0}, at::kDouble)));  // target
  CHECK(at::equal(r.examples.select(1, 3), at::zeros({4}, at::kDouble)));                    // dense predicts 0
  // Batch 0's members are predictions 1 and 2, batch 1's are 4 and 5 (3 is its dense pass).
  const auto batch0 = at::stack({model.members[1], model.members[2]}).select(2, 0).to(at::kDouble);  // (2, 3)
  CHECK(r.examples[1][4].item<double>() == Approx(batch0.mean(0)[1].item<double>()));
  CHECK(r.examples[1][5].item<double>() == Approx(population_std(batch0)[1].item<double>()));
}

TEST_CASE("member k's draws on batch b depend on (ensemble seed, b, k) alone", "[eval][ensemble]") {
  const auto draws = [](uint64_t seed, int64_t batches) {
    DrawingModel model(models::Prediction::kValues);
    EvalConfig c = eval_config(0, 2);
    c.batch_size = 2;
    c.batches = batches;
    train::evaluate(model, FourExamples(true), data::Task::kGraphRegression, c, at::kCPU, {seed, false});
    return model.members;  // dense, member 0, member 1 per batch
  };
  const auto both = draws(7, 0), first = draws(7, 1), other_seed = draws(8, 0);
  REQUIRE(both.size() == 6);
  REQUIRE(first.size() == 3);
  for (size_t i = 0; i < 3; ++i) CHECK(at::equal(both[i], first[i]));  // later batches change nothing
  CHECK_FALSE(at::equal(both[1], both[2]));                            // members differ
  CHECK_FALSE(at::equal(both[1], both[4]));                            // batches differ
  CHECK_FALSE(at::equal(both[1], other_seed[1]));                      // the seed matters
}
