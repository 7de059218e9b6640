// Hugging Face LlamaForCausalLM names and config.json (see hf_llama.h).
#include "lib/train/hf_llama.h"

#include <ATen/ATen.h>
#include <fmt/format.h>

#include "lib/core/error.h"
#include "lib/nn/rms_norm.h"

namespace ssa::train {
namespace {

using models::DecoderConfig;

const char* kSupportedShape =
    "supported: a decoder with position: rope, norm: rmsnorm, ffn: swiglu, bias: false, scale_embedding: false, "
    "final_norm: true, no adaptive_cutoffs or conditions (any heads and kv_heads)";

// The first way `c` differs from the LLaMA recipe, naming the model key and its value; "" when none does.
std::string first_difference(const DecoderConfig& c) {
  if (c.position != models::PositionKind::kRope) return "model.position is not rope";
  if (c.norm != models::NormKind::kRmsNorm) return "model.norm is layernorm";
  if (c.ffn != models::FfnKind::kSwiglu) return "model.ffn is gelu";
  if (c.bias) return "model.bias is true";
  if (c.scale_embedding) return "model.scale_embedding is true";
  if (!c.final_norm) return "model.final_norm is false";
  if (!c.adaptive_cutoffs.empty()) return "model.adaptive_cutoffs is set (adaptive input and softmax)";
  if (!c.conditions.empty()) return "model.conditions is set (DistAug conditioning)";
  if ((c.d_model / c.heads) % 2 != 0) return "the head width d_model / heads is odd";
  return "";
}

int64_t kv_heads(const DecoderConfig& c) { return c.kv_heads > 0 ? c.kv_heads : c.heads; }

std::string layer(int64_t l) { return "model.layers." + std::to_string(l) + "."; }
std::string block(int64_t l) { return "blocks." + std::to_string(l) + "."; }

// (ours, Hugging Face's) for every tensor except q, k and v, which share our qkv.
std::vector<std::pair<std::string, std::string>> renamed(int64_t l) {
  return {{block(l) + "attn_norm.weight", layer(l) + "input_layernorm.weight"},
          {block(l) + "attn.out.weight", layer(l) + "self_attn.o_proj.weight"},
          {block(l) + "ffn_norm.weight", layer(l) + "post_attention_layernorm.weight"},
          {block(l) + "fc1.weight", layer(l) + "mlp.gate_proj.weight"},
          {block(l) + "fc_up.weight", layer(l) + "mlp.up_proj.weight"},
          {block(l) + "fc2.weight", layer(l) + "mlp.down_proj.weight"}};
}

const at::Tensor& at_name(const std::map<std::string, at::Tensor>& tensors, const std::string& name) {
  const auto it = tensors.find(name);
  if (it == tensors.end()) throw Error(ExitCode::kInternal, "hf_llama: no tensor " + name);
  return it->second;
}

}  // namespace

std::string llama_incompatibility(const DecoderConfig& c) {
  const std::string difference = first_difference(c);
  if (difference.empty()) return "";
  return difference + ", which Hugging Face's LlamaForCausalLM has no equivalent of; " + kSupportedShape;
}

std::vector<NamedTensor> to_hf_tensors(const std::map<std::string, at::Tensor>& ours, const DecoderConfig& c) {
  const int64_t head_dim = c.d_model / c.heads, q_rows = c.heads * head_dim, kv_rows = kv_heads(c) * head_dim;
  std::vector<NamedTensor> hf{{"model.embed_tokens.weight", at_name(ours, "embed.weight")}};
  for (int64_t l = 0; l < c.layers; ++l) {
    const auto names = renamed(l);
    const auto qkv = at_name(ours, block(l) + "attn.qkv.weight").split_with_sizes({q_rows, kv_rows, kv_rows}, 0);
    hf.push_back({names[0].second, at_name(ours, names[0].first)});
    hf.push_back({layer(l) + "self_attn.q_proj.weight", qkv[0]});  // (H D, C)
    hf.push_back({layer(l) + "self_attn.k_proj.weight", qkv[1]});  // (Hkv D, C)
    hf.push_back({layer(l) + "self_attn.v_proj.weight", qkv[2]});  // (Hkv D, C)
    for (size_t i = 1; i < names.size(); ++i) hf.push_back({names[i].second, at_name(ours, names[i].first)});
  }
  hf.push_back({"model.norm.weight", at_name(ours, "final_norm.weight")});
  if (!c.tie_embeddings) hf.push_back({"lm_head.weight", at_name(ours, "output.weight")});
  return hf;
}

std::map<std::string, at::Tensor> from_hf_tensors(const std::map<std::string, at::Tensor>& hf, const DecoderConfig& c) {
  std::map<std::string, at::Tensor> ours{{"embed.weight", at_name(hf, "model.embed_tokens.weight")},
                                         {"final_norm.weight", at_name(hf, "model.norm.weight")}};
  if (!c.tie_embeddings) ours["output.weight"] = at_name(hf, "lm_head.weight");
  for (int64_t l = 0; l < c.layers; ++l) {
    for (const auto& [our_name, hf_name] : renamed(l)) ours[our_name] = at_name(hf, hf_name);
    const std::string attn = layer(l) + "self_attn.";
    ours[block(l) + "attn.qkv.weight"] = at::cat(
        {at_name(hf, attn + "q_proj.weight"), at_name(hf, attn + "k_proj.weight"), at_name(hf, attn + "v_proj.weight")},
        0);
  }
  return ours;
}

std::string hf_config_json(const DecoderConfig& c, const HfConfigFacts& facts) {
  const auto id = [](const std::optional<int64_t>& v) { return v ? std::to_string(*v) : std::string("null"); };
  const auto flag = [](bool b) { return std::string(b ? "true" : "false"); };
  const std::map<std::string, std::string> keys = {
      // json.dumps(indent=2, sort_keys=True), as transformers
      {"architectures", "[\n    \"LlamaForCausalLM\"\n  ]"},
      {"attention_bias", "false"},
      {"attention_dropout", fmt::format("{:.1f}", c.attention_dropout)},
      {"bos_token_id", id(facts.bos_token_id)},
      {"eos_token_id", id(facts.eos_token_id)},
      {"head_dim", std::to_string(c.d_model / c.heads)},
      {"hidden_act", "\"silu\""},
      {"hidden_size", std::to_string(c.d_model)},
      {"intermediate_size", std::to_string(c.d_ff)},
      {"max_position_embeddings", std::to_string(facts.max_position_embeddings)},
      {"mlp_bias", "false"},
      {"model_type", "\"llama\""},
      {"num_attention_heads", std::to_string(c.heads)},
      {"num_hidden_layers", std::to_string(c.layers)},
      {"num_key_value_heads", std::to_string(kv_heads(c))},
      {"rms_norm_eps", fmt::format("{}", nn::kRmsNormEps)},  // "1e-05", as Python writes it
      {"rope_scaling", "null"},
      {"rope_theta", fmt::format("{:.1f}", c.rope_theta)},
      {"tie_word_embeddings", flag(c.tie_embeddings)},
      {"torch_dtype", "\"" + facts.torch_dtype + "\""},
      {"vocab_size", std::to_string(c.vocab_size)}};
  std::string json = "{\n";
  for (const auto& [key, value] : keys) json += "  \"" + key + "\": " + value + ",\n";
  json.erase(json.size() - 2, 1);  // the last comma
  return json + "}\n";
}

at::ScalarType export_dtype(const std::string& name) {
  if (name == "fp32") return at::kFloat;
  if (name == "bf16") return at::kBFloat16;
  if (name == "fp16") return at::kHalf;
  throw ConfigError("--dtype: is " + name + "; expected fp32, bf16 or fp16");
}

std::string torch_dtype_name(at::ScalarType dtype) {
  if (dtype == at::kBFloat16) return "bfloat16";
  if (dtype == at::kHalf) return "float16";
  return "float32";
}

}  // namespace ssa::train
