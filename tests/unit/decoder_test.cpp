// Decoder shapes, predict at the scored positions only, SSA wiring (dense in eval and in dense
// mode, one window = dense), parameter counts against the formula, and the checkpoint key names
// (golden list).
#include "tests/support/catch.h"

#include <ATen/ATen.h>
#include <torch/torch.h>

#include "models/decoder/decoder.h"

using namespace ssa;
using models::Decoder;
using models::DecoderConfig;

namespace {

DecoderConfig tiny(int64_t windows) {
  DecoderConfig c = models::decoder_flavor("tiny");
  c.vocab_size = 50;
  c.ssa.windows = windows;
  return c;
}

at::Tensor tokens(int64_t b, int64_t t) {
  torch::manual_seed(3);
  return at::randint(0, 50, {b, t}, at::kLong);
}

}  // namespace

TEST_CASE("decoder maps (B, T) tokens to (B, T, V) logits", "[decoder]") {
  torch::manual_seed(0);
  Decoder d(tiny(4), 1);
  REQUIRE(d.forward(tokens(3, 16)).sizes() == at::IntArrayRef({3, 16, 50}));
  REQUIRE(d.last_attention_fraction() == Approx(0.25));
}

TEST_CASE("predict gives the log-probabilities of only the scored positions", "[decoder][eval]") {
  torch::manual_seed(0);
  Decoder d(tiny(4), 1);
  d.eval();
  d.set_attention_mode(attn::AttentionMode::kDense);
  const auto input = tokens(2, 8);
  auto mask = at::zeros({2, 8}, at::kBool);
  mask.slice(1, 5) = true;  // the last 3 positions of each window, as a sliding evaluation scores
  const data::Batch all{input, input}, masked{input, input, mask};
  const auto full = at::log_softmax(d.forward(input), -1);  // (2, 8, 50)
  CHECK(at::allclose(d.predict(all), full.reshape({16, 50}), 1e-5, 1e-6));
  const auto rows = d.predict(masked);  // (6, 50): window 0's positions 5-7, then window 1's
  REQUIRE(rows.sizes() == at::IntArrayRef({6, 50}));
  CHECK(at::allclose(rows, full.slice(1, 5).reshape({6, 50}), 1e-5, 1e-6));
}

TEST_CASE("one SSA window and dense mode both equal dense attention", "[decoder][ssa]") {
  torch::manual_seed(0);
  Decoder ssa_l1(tiny(1), 1);
  ssa_l1.set_attention_mode(attn::AttentionMode::kDense);
  const auto dense = ssa_l1.forward(tokens(2, 16));
  ssa_l1.set_attention_mode(attn::AttentionMode::kSubsampled);  // tiny has dropout 0
  REQUIRE(at::allclose(ssa_l1.forward(tokens(2, 16)), dense, 1e-5, 1e-6));

  torch::manual_seed(0);
  Decoder ssa_l4(tiny(4), 1);
  ssa_l4.train();
  const auto sub = ssa_l4.forward(tokens(2, 16));
  REQUIRE_FALSE(at::allclose(sub, dense, 1e-3, 1e-3));  // same weights, subsampled attention
  ssa_l4.set_attention_mode(attn::AttentionMode::kDense);
  REQUIRE(at::allclose(ssa_l4.forward(tokens(2, 16)), dense, 1e-5, 1e-6));
  REQUIRE(ssa_l4.last_attention_fraction() == Approx(1.0));
}

TEST_CASE("causality: a future token never changes earlier logits, with SSA on", "[decoder][ssa]") {
  torch::manual_seed(0);
  Decoder d(tiny(4), 1);
  d.train();
  auto x = tokens(1, 16);
  const auto state = d.sampler().state();
  const auto a = d.forward(x);
  x[0][15] = (x[0][15].item<int64_t>() + 1) % 50;
  d.sampler().set_state(state);
  const auto b = d.forward(x);
  REQUIRE(at::allclose(a.slice(1, 0, 15), b.slice(1, 0, 15), 1e-6, 1e-6));
}

TEST_CASE("parameter count follows the formula", "[decoder][params]") {
  // Per layer 4(d^2+d) + 2 d f + f + d + 4d; embedding V d; untied output V d; final LN 2d.
  DecoderConfig c = tiny(1);
  c.final_norm = true;
  c.tie_embeddings = false;
  const int64_t d = c.d_model, f = c.d_ff, V = c.vocab_size, L = c.layers;
  const int64_t expected = L * (4 * (d * d + d) + 2 * d * f + f + d + 4 * d) + 2 * V * d + 2 * d;
  REQUIRE(Decoder(c, 0).parameter_count() == expected);
  c.tie_embeddings = true;
  REQUIRE(Decoder(c, 0).parameter_count() == expected - V * d);
}

TEST_CASE("checkpoint keys of the tiny decoder are stable", "[decoder][keys]") {
  Decoder d(tiny(4), 0);
  std::vector<std::string> keys;
  for (const auto& p : d.named_parameters()) keys.push_back(p.key());
  for (const auto& b : d.named_buffers()) keys.push_back(b.key());
  const std::vector<std::string> expected = {"embed.weight",
                                             "blocks.0.attn_norm.weight",
                                             "blocks.0.attn_norm.bias",
                                             "blocks.0.attn.qkv.weight",
                                             "blocks.0.attn.qkv.bias",
                                             "blocks.0.attn.out.weight",
                                             "blocks.0.attn.out.bias",
                                             "blocks.0.ffn_norm.weight",
                                             "blocks.0.ffn_norm.bias",
                                             "blocks.0.fc1.weight",
                                             "blocks.0.fc1.bias",
                                             "blocks.0.fc2.weight",
                                             "blocks.0.fc2.bias",
                                             "blocks.1.attn_norm.weight",
                                             "blocks.1.attn_norm.bias",
                                             "blocks.1.attn.qkv.weight",
                                             "blocks.1.attn.qkv.bias",
                                             "blocks.1.attn.out.weight",
                                             "blocks.1.attn.out.bias",
                                             "blocks.1.ffn_norm.weight",
                                             "blocks.1.ffn_norm.bias",
                                             "blocks.1.fc1.weight",
                                             "blocks.1.fc1.bias",
                                             "blocks.1.fc2.weight",
                                             "blocks.1.fc2.bias",
                                             "final_norm.weight",
                                             "final_norm.bias",
                                             "output.weight",
                                             "alibi_slopes"};
  REQUIRE(keys == expected);
}
