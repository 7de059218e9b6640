// The Hugging Face LLaMA mapping (lib/train/hf_llama.h, hf_directory.h): the tensors of every
// LLaMA-style shape (grouped or not, tied or not) go out under Hugging Face's names and shapes and
// come back bit for bit; other shapes are refused naming the difference; shard sizes parse as
// Hugging Face spells them.
#include "tests/support/catch.h"

#include <ATen/ATen.h>

#include "lib/core/error.h"
#include "lib/train/hf_directory.h"
#include "lib/train/hf_llama.h"
#include "lib/train/model_tensors.h"
#include "models/decoder/decoder.h"

using namespace ssa;
using models::DecoderConfig;

namespace {

DecoderConfig llama(int64_t kv_heads, bool tied) {
  DecoderConfig c = models::decoder_flavor("llama-tiny");  // 2 x 64, 4 heads
  c.kv_heads = kv_heads;
  c.tie_embeddings = tied;
  return c;
}

}  // namespace

TEST_CASE("LLaMA tensors go out under Hugging Face's names and shapes and come back bit for bit", "[hf]") {
  for (const int64_t kv : {0, 2, 1}) {
    for (const bool tied : {false, true}) {
      const DecoderConfig c = llama(kv, tied);
      models::Decoder model(c, 1);
      const auto ours = train::tensors_by_name(train::model_tensors(model));
      const auto hf = train::to_hf_tensors(ours, c);
      CHECK(hf.size() == 9 * 2 + 2 + (tied ? 0 : 1));  // 9 per layer, embed, norm, lm_head
      const auto by_name = train::tensors_by_name(hf);
      const int64_t kv_rows = (kv == 0 ? 4 : kv) * 16;
      CHECK(by_name.at("model.layers.1.self_attn.q_proj.weight").sizes() == at::IntArrayRef({64, 64}));
      CHECK(by_name.at("model.layers.1.self_attn.k_proj.weight").sizes() == at::IntArrayRef({kv_rows, 64}));
      CHECK(by_name.at("model.layers.0.mlp.gate_proj.weight").sizes() == at::IntArrayRef({172, 64}));
      CHECK(by_name.count("lm_head.weight") == (tied ? 0u : 1u));
      const auto back = train::from_hf_tensors(by_name, c);
      REQUIRE(back.size() == ours.size());
      for (const auto& [name, tensor] : ours) CHECK(at::equal(back.at(name), tensor));
    }
  }
}

TEST_CASE("shapes without a LlamaForCausalLM form are refused naming the difference", "[hf]") {
  CHECK(train::llama_incompatibility(llama(2, false)).empty());
  CHECK_THAT(train::llama_incompatibility(models::decoder_flavor("tiny")),
             Catch::Contains("model.position is not rope"));
  DecoderConfig biased = llama(2, false);
  biased.bias = true;
  CHECK_THAT(train::llama_incompatibility(biased), Catch::Contains("model.bias is true"));
  DecoderConfig scaled = llama(2, false);
  scaled.scale_embedding = true;
  CHECK_THAT(train::llama_incompatibility(scaled), Catch::Contains("supported: a decoder with"));
}

TEST_CASE("shard sizes parse as Hugging Face spells them", "[hf]") {
  CHECK(train::parse_shard_size("5GB") == 5000000000);
  CHECK(train::parse_shard_size("500MB") == 500000000);
  CHECK(train::parse_shard_size("2GiB") == int64_t{2} << 30);
  CHECK(train::parse_shard_size("100KB") == 100000);
  CHECK(train::parse_shard_size("4096B") == 4096);
  for (const char* bad : {"5", "GB", "-1GB", "5 GB", "5TB"}) {
    CHECK_THROWS_AS(train::parse_shard_size(bad), ConfigError);
  }
}
