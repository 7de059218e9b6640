// Evaluation: sliding windows score every target exactly once with the promised context
// (fairseq semantics), sliding evaluation matches a brute-force per-token oracle, a 1-sample
// ensemble with SSA off equals dense evaluation, and evaluation leaves training state untouched.
#include <catch2/catch.hpp>

#include <cmath>

#include <ATen/ATen.h>
#include <torch/torch.h>

#include "lib/data/text_datasets.h"
#include "lib/train/evaluator.h"
#include "models/decoder/decoder.h"

using namespace ssa;
using train::EvalConfig;
using data::EvalWindow;

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
