// The decoder's LLaMA options (RoPE, RMSNorm, SwiGLU, grouped-query attention, no biases) and SSA
// with them: parameter counts from a formula, RoPE's relative positions, GQA as multi-head
// attention with shared keys and values, one SSA window = dense, causality under every causal
// variant and option, and config errors.
#include "tests/support/catch.h"

#include <ATen/ATen.h>
#include <torch/torch.h>

#include "lib/config/experiment_config.h"
#include "lib/core/error.h"
#include "lib/nn/rms_norm.h"
#include "lib/nn/rope.h"
#include "models/decoder/decoder.h"

using namespace ssa;
using models::Decoder;
using models::DecoderConfig;

namespace {

DecoderConfig llama_tiny() {
  DecoderConfig c = models::decoder_flavor("llama-tiny");
  c.vocab_size = 50;
  return c;
}

at::Tensor tokens(int64_t b, int64_t t) {
  torch::manual_seed(3);
  return at::randint(0, 50, {b, t}, at::kLong);
}

// Embedding, output (untied), per layer q, k, v (kv heads), out, the FFN and two norms, final norm.
int64_t formula(const DecoderConfig& c) {
  const int64_t d = c.d_model, kv = (c.kv_heads > 0 ? c.kv_heads : c.heads) * (d / c.heads);
  const int64_t norm = c.norm == models::NormKind::kRmsNorm ? d : 2 * d;
  const int64_t attention = d * (d + 2 * kv) + d * d + (c.bias ? d + 2 * kv + d : 0);
  const bool gated = c.ffn == models::FfnKind::kSwiglu;
  const int64_t ffn = (gated ? 3 : 2) * d * c.d_ff + (c.bias ? (gated ? 2 : 1) * c.d_ff + d : 0);
  const int64_t embeddings = c.vocab_size * d * (c.tie_embeddings ? 1 : 2);
  return embeddings + c.layers * (attention + ffn + 2 * norm) + (c.final_norm ? norm : 0);
}

// Every combination of the options, on a 16-token sequence.
std::vector<DecoderConfig> option_grid() {
  std::vector<DecoderConfig> configs;
  for (const auto& [position_name, position] : models::kPositionKinds) {
    if (position == models::PositionKind::kGrid2d) continue;  // images only: generation_test, pixel tests
    for (const auto& [norm_name, norm] : models::kNormKinds) {
      for (const auto& [ffn_name, ffn] : models::kFfnKinds) {
        for (const int64_t kv_heads : {0, 1, 2}) {
          for (const bool bias : {true, false}) {
            DecoderConfig c = llama_tiny();
            c.position = position, c.norm = norm, c.ffn = ffn, c.kv_heads = kv_heads, c.bias = bias;
            configs.push_back(c);
          }
        }
      }
    }
  }
  return configs;
}

template <class E>
std::string spelling(const config::ChoiceNames<E>& names, E value) {
  for (const auto& [name, v] : names) {
    if (v == value) return name;
  }
  return "?";
}

std::string describe(const DecoderConfig& c) {
  return spelling(models::kPositionKinds, c.position) + " " + spelling(models::kNormKinds, c.norm) + " " +
         spelling(models::kFfnKinds, c.ffn) + " kv " + std::to_string(c.kv_heads) + (c.bias ? " bias" : "");
}

std::string config_error(const std::string& model_yaml) {
  try {
    config::parse_experiment("data: {train_paths: [x]}\nmodel:\n  flavor: llama-tiny\n" + model_yaml, "llama.yaml");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("LLaMA-style parameter counts follow the formula", "[decoder][llama][params]") {
  DecoderConfig big = models::decoder_flavor("llama-125m");
  CHECK(formula(big) == 124668672);
  torch::manual_seed(0);
  CHECK(Decoder(big, 1).parameter_count() == 124668672);
  big.tie_embeddings = true;
  CHECK(formula(big) == 124668672 - 32000 * 768);
  for (const auto& c : option_grid()) {
    INFO(describe(c));
    CHECK(Decoder(c, 1).parameter_count() == formula(c));
  }
}

TEST_CASE("RoPE scores depend on the positions' difference only", "[decoder][llama][rope]") {
  torch::manual_seed(0);
  const auto q = at::randn({1, 2, 1, 16}, at::kDouble), k = at::randn({1, 2, 1, 16}, at::kDouble);
  const auto score = [&](int64_t i, int64_t j) {
    const auto qi = nn::apply_rope(q, at::tensor({i}, at::kLong), 10000.0);
    const auto kj = nn::apply_rope(k, at::tensor({j}, at::kLong), 10000.0);
    return (qi * kj).sum(-1);  // (1, 2, 1)
  };
  CHECK(score(7, 3).allclose(score(107, 103), 1e-4, 1e-5));
  CHECK(score(0, 0).allclose((q * k).sum(-1)));  // position 0 is the identity
  CHECK_FALSE(score(7, 3).allclose(score(7, 5), 1e-3, 1e-3));
  const auto x = at::randn({1, 1, 5, 16});
  CHECK(nn::apply_rope(x, at::arange(5), 500.0).norm(2, -1).allclose(x.norm(2, -1), 1e-5, 1e-5));  // a rotation
}

TEST_CASE("RMSNorm divides by the root mean square and scales by its weight", "[decoder][llama]") {
  nn::RmsNorm norm(4);
  const auto x = at::tensor({1.0f, -2.0f, 3.0f, -4.0f}).view({1, 4});
  const double rms = std::sqrt((1.0 + 4.0 + 9.0 + 16.0) / 4.0 + nn::kRmsNormEps);
  CHECK(norm(x).allclose(x / rms, 1e-6, 1e-6));
}

TEST_CASE("grouped-query attention is multi-head attention with each kv head repeated", "[decoder][llama][gqa]") {
  DecoderConfig gqa = llama_tiny();  // 4 heads, 2 kv heads
  DecoderConfig mha = gqa;
  mha.kv_heads = 0;
  torch::manual_seed(0);
  Decoder grouped(gqa, 7);
  torch::manual_seed(1);
  Decoder full(mha, 7);  // the same sampler seed: the same SSA draws
  const int64_t d = gqa.d_model, dim = d / gqa.heads, kv = gqa.kv_heads * dim;
  torch::NoGradGuard no_grad;
  auto target = full.named_parameters();
  for (const auto& p : grouped.named_parameters()) {
    if (p.key().find("attn.qkv") == std::string::npos) {
      target[p.key()].copy_(p.value());
      continue;
    }
    const auto w = p.value();  // (d + 2 kv, d): q rows, then k and v rows per kv head
    const auto repeat = [&](const at::Tensor& rows) {
      return rows.view({gqa.kv_heads, 1, dim, d}).expand({gqa.kv_heads, 2, dim, d}).reshape({d, d});
    };
    target[p.key()].copy_(at::cat({w.slice(0, 0, d), repeat(w.slice(0, d, d + kv)), repeat(w.slice(0, d + kv))}));
  }
  grouped.train(), full.train();
  CHECK(grouped.forward(tokens(2, 16)).allclose(full.forward(tokens(2, 16)), 1e-5, 1e-5));  // SSA-L4
  grouped.set_attention_mode(attn::AttentionMode::kDense), full.set_attention_mode(attn::AttentionMode::kDense);
  CHECK(grouped.forward(tokens(2, 16)).allclose(full.forward(tokens(2, 16)), 1e-5, 1e-5));
}

TEST_CASE("with every option, one SSA window holding every source is dense attention", "[decoder][llama][ssa]") {
  for (auto c : option_grid()) {
    INFO(describe(c));
    c.ssa.windows = 1;
    torch::manual_seed(0);
    Decoder model(c, 1);
    const auto sampled = model.forward(tokens(2, 16));
    CHECK(model.last_attention_fraction() == Approx(1.0));
    model.set_attention_mode(attn::AttentionMode::kDense);
    CHECK(sampled.allclose(model.forward(tokens(2, 16)), 1e-5, 1e-6));
  }
}

TEST_CASE("every causal SSA variant with every option: a quarter of the scores, and causal", "[decoder][llama][ssa]") {
  for (const auto variant :
       {attn::SsaVariant::kCausalLocal, attn::SsaVariant::kCausalUnbiased, attn::SsaVariant::kCausalGrid}) {
    for (auto c : option_grid()) {
      c.ssa.variant = variant;
      c.ssa.windows = 4;  // causal_2d: 16 tokens as 4 rows of 4
      INFO(describe(c) << " variant " << static_cast<int>(variant));
      torch::manual_seed(0);
      Decoder model(c, 1);
      auto x = tokens(1, 16);
      const auto state = model.sampler().state();
      const auto a = model.forward(x);
      CHECK(model.last_attention_fraction() == Approx(0.25));
      CHECK(std::isfinite(a.sum().item<double>()));
      x[0][15] = (x[0][15].item<int64_t>() + 1) % 50;
      model.sampler().set_state(state);
      CHECK(a.slice(1, 0, 15).allclose(model.forward(x).slice(1, 0, 15), 1e-6,
                                       1e-6));  // the last token changes nothing before it
    }
  }
}

TEST_CASE("the LLaMA options' config errors name the key", "[decoder][llama][config]") {
  CHECK(config_error("").empty());
  CHECK(config_error("  kv_heads: 3\n").find("model.kv_heads: must divide model.heads (4), got 3") != std::string::npos);
  CHECK(config_error("  d_model: 60\n").find("model.position: rope rotates channel pairs") != std::string::npos);
  CHECK(config_error("  norm: batchnorm\n").find("model.norm") != std::string::npos);
  CHECK(config_error("  ffn: relu\n").find("model.ffn") != std::string::npos);
  CHECK(config_error("  position: rope\n  rope_theta: 0\n").find("model.rope_theta") != std::string::npos);
}

TEST_CASE("only an ALiBi decoder carries ALiBi slopes in its state (and so in its checkpoints)",
          "[decoder][llama][checkpoint]") {
  const auto has_slopes = [](const DecoderConfig& c) {
    const models::Decoder model(c, 1);
    for (const auto& b : model.named_buffers()) {
      if (b.key() == "alibi_slopes") return true;
    }
    return false;
  };
  DecoderConfig rope = llama_tiny();
  REQUIRE(rope.position == models::PositionKind::kRope);
  CHECK_FALSE(has_slopes(rope));
  rope.position = models::PositionKind::kAlibi;
  CHECK(has_slopes(rope));
}
