// Adaptive input and tied adaptive softmax: a distribution over the whole vocabulary, equal to a
// naive full softmax built from the same weights, exact target log-likelihoods in loss and
// predict, gradients reaching the tied weights through the output, and the WT103 parameter count.
#include "tests/support/catch.h"

#include <cmath>

#include <ATen/ATen.h>
#include <torch/torch.h>

#include "lib/core/error.h"
#include "models/decoder/decoder.h"

using namespace ssa;
using namespace ssa::models;

namespace {

// vocab 50 in bands [0, 10), [10, 30), [30, 50) with 16, 8 and 4 dimensions.
DecoderConfig small_adaptive() {
  DecoderConfig c = decoder_flavor("tiny");
  c.vocab_size = 50;
  c.d_model = 16;
  c.heads = 2;
  c.d_ff = 32;
  c.tie_embeddings = true;
  c.adaptive_cutoffs = {10, 30};
  c.adaptive_factor = 2.0;
  c.adaptive_dropout = 0.2;
  c.ssa.windows = 1;
  return c;
}

// log p(w | h) for every w, from explicit sums of exponentials in double precision.
std::vector<double> naive_log_probs(const at::Tensor& h, const AdaptiveInputImpl& in, const at::Tensor& class_proj) {
  const auto hd = h.to(at::kDouble);                                                // (C)
  const auto head = at::cat({at::mv(in.embeddings[0]->weight.to(at::kDouble), hd),  // (10 + 2)
                             at::mv(class_proj.to(at::kDouble), hd)});
  const auto normalised = [](const at::Tensor& logits) {
    const double z = logits.exp().sum().item<double>();
    std::vector<double> out;
    for (int64_t i = 0; i < logits.size(0); ++i) out.push_back(std::log(std::exp(logits[i].item<double>()) / z));
    return out;
  };
  const auto head_lp = normalised(head);
  std::vector<double> all(head_lp.begin(), head_lp.begin() + 10);
  for (size_t band = 1; band < 3; ++band) {
    const auto down = at::mv(in.projections[band]->weight.to(at::kDouble).t(), hd);  // (dim)
    const auto tail_lp = normalised(at::mv(in.embeddings[band]->weight.to(at::kDouble), down));
    for (const double lp : tail_lp) all.push_back(head_lp[9 + band] + lp);
  }
  return all;
}

}  // namespace

TEST_CASE("adaptive bands follow fairseq's cutoffs and factor: bad cutoffs name the key", "[unit][adaptive]") {
  const auto b = adaptive_bands(267744, 1024, {20000, 60000}, 4.0);
  CHECK(b.edges == std::vector<int64_t>{0, 20000, 60000, 267744});
  CHECK(b.dims == std::vector<int64_t>{1024, 256, 64});
  CHECK_THROWS_WITH(adaptive_bands(100, 16, {50, 40}, 4.0), Catch::StartsWith("model.adaptive_cutoffs:"));
  CHECK_THROWS_WITH(adaptive_bands(100, 16, {50, 100}, 4.0), Catch::StartsWith("model.adaptive_cutoffs:"));
  CHECK_THROWS_WITH(adaptive_bands(100, 4, {10, 20, 30}, 4.0), Catch::StartsWith("model.adaptive_factor:"));
}

TEST_CASE("adaptive softmax: log-probs sum to one and equal a naive full softmax", "[unit][adaptive]") {
  torch::manual_seed(0);
  const auto c = small_adaptive();
  const auto bands = adaptive_bands(c.vocab_size, c.d_model, c.adaptive_cutoffs, c.adaptive_factor);
  AdaptiveInput input(bands, c.d_model);
  AdaptiveSoftmax softmax(input, c.d_model, c.adaptive_dropout);
  softmax->eval();
  const auto h = at::randn({5, c.d_model});  // (N, C)
  const auto lp = softmax->log_probs(h);     // (N, V)
  REQUIRE(lp.sizes() == at::IntArrayRef({5, 50}));
  CHECK(at::allclose(lp.logsumexp(1), at::zeros({5}), 1e-5, 1e-5));
  for (int64_t n = 0; n < 5; ++n) {
    const auto naive = naive_log_probs(h[n], *input, softmax->class_proj->weight.detach());
    for (int64_t w = 0; w < 50; ++w)
      CHECK(lp[n][w].item<double>() == Approx(naive[static_cast<size_t>(w)]).margin(1e-5));
  }
  const auto target = at::tensor({3, 10, 29, 30, 49}, at::kLong);  // every band, both edges
  CHECK(at::allclose(softmax->target_log_probs(h, target), lp.gather(1, target.unsqueeze(1)).squeeze(1), 1e-6, 1e-6));
}

TEST_CASE("adaptive decoder: loss and predict are the exact target log-likelihood", "[unit][adaptive]") {
  torch::manual_seed(1);
  Decoder d(small_adaptive(), 1);
  d.eval();
  const auto input = at::randint(0, 50, {2, 12}, at::kLong);
  const auto target = at::randint(0, 50, {2, 12}, at::kLong);
  const data::Batch batch{input, target};
  const auto full = d.forward(input);  // (B, T, V) log-probs
  CHECK(at::allclose(full.logsumexp(-1), at::zeros({2, 12}), 1e-5, 1e-5));
  CHECK(at::allclose(d.predict(batch), full.reshape({24, -1}), 1e-5, 1e-5));        // (B * T, V)
  const auto target_log_probs = full.gather(-1, target.unsqueeze(-1)).squeeze(-1);  // (B, T)
  const auto loss = d.loss(batch);
  CHECK(loss.count == 24);
  CHECK(loss.sum.item<double>() == Approx(-target_log_probs.sum().item<double>()).epsilon(1e-5));
  CHECK(d.forward_flops(batch, true) > 0);
}

TEST_CASE("adaptive decoder: gradients reach the tied embeddings and projections through the output",
          "[unit][adaptive]") {
  torch::manual_seed(2);
  Decoder d(small_adaptive(), 1);
  d.train();
  // Inputs only from band 0, targets only from band 2: band-2 weights learn only via the softmax.
  const auto input = at::randint(0, 10, {2, 8}, at::kLong);
  const auto target = at::randint(30, 50, {2, 8}, at::kLong);
  d.loss({input, target}).sum.backward();
  const auto params = d.named_parameters();
  for (const char* name : {"adaptive_input.embed2.weight", "adaptive_input.proj2.weight",
                           "adaptive_input.embed0.weight", "adaptive_softmax.class_proj.weight"}) {
    INFO(name);
    REQUIRE(params.contains(name));
    CHECK(params[name].grad().abs().sum().item<double>() > 0);
  }
  CHECK_FALSE(params.contains("embed.weight"));
  const auto unused = params["adaptive_input.embed1.weight"].grad();  // band 1 is neither input nor target
  CHECK((!unused.defined() || unused.abs().sum().item<double>() == 0));
}

TEST_CASE("the wt103 flavor has the paper's 246,933,504 parameters", "[unit][adaptive][params]") {
  const auto c = decoder_flavor("wt103");
  CHECK(c.vocab_size == 267744);
  CHECK_FALSE(c.final_norm);
  CHECK(Decoder(c, 0).parameter_count() == 246933504);
}

TEST_CASE("the adaptive softmax needs tied weights", "[unit][adaptive]") {
  auto c = small_adaptive();
  c.tie_embeddings = false;
  CHECK_THROWS_AS(Decoder(c, 0), ConfigError);
}
