// Sampling from a decoder: the next-token rule (greedy, temperature, top-k, seeded draws) and
// generation that agrees with the model's own teacher-forced predictions.
#include "tests/support/catch.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include "lib/train/generation.h"

using namespace ssa;
using train::GenerationOptions;

TEST_CASE("greedy and top-1 choose the highest score: top-k draws follow the softmax over the k best", "[generation]") {
  const auto scores = at::tensor({0.5, 2.0, -1.0, 1.5, 1.0}, at::kFloat);  // best: 1, then 3, then 4
  at::Generator g = at::detail::createCPUGenerator(7);
  CHECK(train::next_token(scores, GenerationOptions{0.0, 0, 1}, g) == 1);
  for (int i = 0; i < 20; ++i) CHECK(train::next_token(scores, GenerationOptions{1.0, 1, 1}, g) == 1);

  const int draws = 6000;
  std::vector<int> counts(5, 0);
  for (int i = 0; i < draws; ++i)
    ++counts[static_cast<size_t>(train::next_token(scores, GenerationOptions{2.0, 3, 1}, g))];
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

TEST_CASE("greedy generation continues with the model's own argmax predictions: draws repeat with their seed",
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

namespace {

// Logits of `tokens` (1, T) fed to a cached decoder in the given chunk sizes, concatenated: (1, T, V).
at::Tensor cached_logits(models::Decoder& model, const at::Tensor& tokens, const std::vector<int64_t>& chunks,
                         const at::Tensor& condition = {}) {
  models::DecoderCache cache;
  std::vector<at::Tensor> parts;
  int64_t start = 0;
  for (const int64_t n : chunks) {
    parts.push_back(model.forward(tokens.slice(1, start, start + n), condition, &cache));
    start += n;
    CHECK(cache.length() == start);
  }
  return at::cat(parts, 1);
}

}  // namespace

TEST_CASE("incremental decoding with a key/value cache gives the logits of one full forward", "[generation]") {
  at::NoGradGuard no_grad;
  models::DecoderConfig alibi = models::decoder_flavor("tiny");
  alibi.vocab_size = 40;
  models::DecoderConfig pixels = alibi;  // 2D relative position bias, DistAug conditions
  pixels.position = models::PositionKind::kGrid2d;
  pixels.image_height = 3;
  pixels.image_width = 4;
  pixels.image_channels = 1;
  pixels.conditions = {4, 2};
  models::DecoderConfig adaptive = alibi;  // adaptive input and softmax (WikiText-103)
  adaptive.adaptive_cutoffs = {10, 25};
  adaptive.tie_embeddings = true;
  models::DecoderConfig llama = models::decoder_flavor("llama-tiny");  // RoPE, GQA, RMSNorm, SwiGLU, no biases
  llama.vocab_size = 40;
  const std::vector<std::pair<std::string, models::DecoderConfig>> configs{
      {"alibi", alibi}, {"grid_2d + conditions", pixels}, {"adaptive", adaptive}, {"llama", llama}};
  for (const auto& [name, config] : configs) {
    INFO(name);
    torch::manual_seed(3);
    models::Decoder model(config, 1);
    model.eval();
    model.set_attention_mode(attn::AttentionMode::kDense);
    const auto tokens = at::randint(0, 40, {1, 12}, at::kLong);  // (1, 12)
    const auto condition = config.conditions.empty()
                               ? at::Tensor()
                               : at::tensor(std::vector<int64_t>{3, 1}, at::kLong).unsqueeze(0);  // (1, F)
    const auto full = model.forward(tokens, condition);                                           // (1, 12, V)
    for (const auto& chunks :
         std::vector<std::vector<int64_t>>{{12}, {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, {5, 1, 4, 2}}) {
      const auto cached = cached_logits(model, tokens, chunks, condition);
      const double difference = (cached - full).abs().max().item<double>();
      CHECK(difference < 1e-5);
    }
  }
}
