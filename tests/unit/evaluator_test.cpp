// Evaluation: sliding windows score every target exactly once with the promised context
// (fairseq semantics), sliding evaluation matches a brute-force per-token oracle, a 1-sample
// ensemble with SSA off equals dense evaluation, and evaluation leaves training state untouched.
#include "tests/support/catch.h"

#include <cmath>

#include <ATen/ATen.h>
#include <torch/torch.h>

#include "lib/data/text_datasets.h"
#include "lib/train/evaluator.h"
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
    nll -= model->predict(b)[0][pos].item<double>();
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

TEST_CASE("classification ensembles average probabilities: accuracy is of the averaged prediction",
          "[eval][ensemble]") {
  DrawingModel model(models::Prediction::kClassLogProbs);
  EvalConfig c = eval_config(0, 2);
  c.batch_size = 4;
  const auto r = train::evaluate(model, FourExamples(false), data::Task::kImageClassification, c, at::kCPU);
  REQUIRE(model.members.size() == 3);
  const auto probs = (at::softmax(model.members[1] * 4, 1) + at::softmax(model.members[2] * 4, 1)) / 2;  // (4, 3)
  const auto target = at::tensor(std::vector<int64_t>{0, 1, 2, 0}, at::kLong);
  const double nll = -probs.log().gather(1, target.unsqueeze(1)).mean().item<double>();
  const double accuracy = probs.argmax(1).eq(target).to(at::kDouble).mean().item<double>();
  CHECK(r.ensemble.back().score.loss == Approx(nll).epsilon(1e-5));
  CHECK(r.ensemble.back().score.metric("accuracy") == Approx(accuracy));
  CHECK(r.dense.loss == Approx(std::log(3.0)).epsilon(1e-6));  // uniform dense prediction
}
