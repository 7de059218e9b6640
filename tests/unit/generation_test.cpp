// Sampling from a decoder: the next-token rule (greedy, temperature, top-k, seeded draws) and
// generation that agrees with the model's own teacher-forced predictions.
#include <catch2/catch.hpp>

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include "lib/train/generation.h"

using namespace ssa;
using train::GenerationOptions;

TEST_CASE("greedy and top-1 choose the highest score; top-k draws follow the softmax over the k best",
          "[generation]") {
  const auto scores = at::tensor({0.5, 2.0, -1.0, 1.5, 1.0}, at::kFloat);  // best: 1, then 3, then 4
  at::Generator g = at::detail::createCPUGenerator(7);
  CHECK(train::next_token(scores, GenerationOptions{0.0, 0, 1}, g) == 1);
  for (int i = 0; i < 20; ++i) CHECK(train::next_token(scores, GenerationOptions{1.0, 1, 1}, g) == 1);

  const int draws = 6000;
  std::vector<int> counts(5, 0);
  for (int i = 0; i < draws; ++i) ++counts[static_cast<size_t>(train::next_token(scores, GenerationOptions{2.0, 3, 1}, g))];
  CHECK(counts[0] == 0);  // outside the top 3
  CHECK(counts[2] == 0);
  const auto expected = at::softmax(at::tensor({2.0, 1.5, 1.0}, at::kDouble) / 2.0, 0);
  const int ids[] = {1, 3, 4};
  for (int j = 0; j < 3; ++j) {
    const double p = expected[j].item<double>();
    const double sd = std::sqrt(draws * p * (1 - p));
    CHECK(std::abs(counts[static_cast<size_t>(ids[j])] - draws * p) < 4 * sd);
  }
}

TEST_CASE("greedy generation continues with the model's own argmax predictions; draws repeat with their seed",
          "[generation]") {
  torch::manual_seed(0);
  models::DecoderConfig c = models::decoder_flavor("tiny");
  c.vocab_size = 40;
  models::Decoder model(c, 1);
  const auto prompt = at::tensor(std::vector<int64_t>{3, 14, 15, 9}, at::kLong);
  const auto greedy = train::generate(model, prompt, 12, /*window=*/64, GenerationOptions{0.0, 0, 1});  // (16)
  REQUIRE(greedy.numel() == 16);
  CHECK(at::equal(greedy.slice(0, 0, 4), prompt));
  // One teacher-forced pass over the result: each generated token is the argmax after its prefix.
  at::NoGradGuard no_grad;
  const auto predicted = model.forward(greedy.slice(0, 0, 15).unsqueeze(0))[0].argmax(-1);  // (15)
  CHECK(at::equal(predicted.slice(0, 3, 15), greedy.slice(0, 4, 16)));

  const GenerationOptions drawn{1.0, 10, 42};
  const auto a = train::generate(model, prompt, 12, 64, drawn), b = train::generate(model, prompt, 12, 64, drawn);
  CHECK(at::equal(a, b));
  CHECK_FALSE(at::equal(a, train::generate(model, prompt, 12, 64, GenerationOptions{1.0, 10, 43})));
  // A window shorter than the context feeds only the latest tokens.
  const auto windowed = train::generate(model, prompt, 6, /*window=*/3, GenerationOptions{0.0, 0, 1});  // (10)
  REQUIRE(windowed.numel() == 10);
  for (int64_t i = 4; i < 10; ++i) {
    const auto latest = windowed.slice(0, i - 3, i).unsqueeze(0);  // (1, 3)
    CHECK(model.forward(latest)[0][-1].argmax().item<int64_t>() == windowed[i].item<int64_t>());
  }
}
