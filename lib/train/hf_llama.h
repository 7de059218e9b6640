// The Hugging Face LlamaForCausalLM form of our LLaMA-style decoder: which shapes have one, the
// tensor names both ways, and config.json. Our RoPE already rotates halves (rotate_half,
// lib/nn/rope.h) and our fused qkv rows are [q heads | k heads | v heads], each head's D rows in
// order, so q_proj, k_proj and v_proj are row slices of qkv with no permutation (docs/models.md).
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "lib/train/safetensors.h"
#include "models/decoder/decoder_config.h"

namespace ssa::train {

// "" when `c` has a faithful LlamaForCausalLM equivalent; else one line naming what differs and
// the supported shape.
std::string llama_incompatibility(const models::DecoderConfig& c);

// Our tensors (model_tensors names: blocks.N.attn.qkv.weight, ...) -> Hugging Face's names and
// order: model.embed_tokens, each layer's input_layernorm, q/k/v/o_proj, post_attention_layernorm,
// gate/up/down_proj, then model.norm and lm_head (absent when tied).
std::vector<NamedTensor> to_hf_tensors(const std::map<std::string, at::Tensor>& ours, const models::DecoderConfig& c);

// The inverse: Hugging Face's names -> ours (q, k and v stacked into qkv). Every name of
// to_hf_tensors must be present (check with hf_tensor_mismatch first).
std::map<std::string, at::Tensor> from_hf_tensors(const std::map<std::string, at::Tensor>& hf,
                                                  const models::DecoderConfig& c);

// What config.json says beyond the model's shape.
struct HfConfigFacts {
  std::string torch_dtype = "float32";  // float32, bfloat16 or float16
  int64_t max_position_embeddings = 0;  // the run's data.seq_len
  std::optional<int64_t> bos_token_id;  // sentencepiece runs: <s> and </s>; byte-level: none
  std::optional<int64_t> eos_token_id;
};

// config.json of LlamaForCausalLM for `c` (llama_incompatibility(c) must be ""), keys sorted.
std::string hf_config_json(const models::DecoderConfig& c, const HfConfigFacts& facts);

// --dtype's spellings and Hugging Face's torch_dtype names: fp32 float32, bf16 bfloat16, fp16 float16.
at::ScalarType export_dtype(const std::string& name);
std::string torch_dtype_name(at::ScalarType dtype);

}  // namespace ssa::train
