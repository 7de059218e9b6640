// Hugging Face LLaMA import (see hf_import.h).
#include "lib/train/hf_import.h"

#include <sstream>

#include <yaml-cpp/yaml.h>

#include "lib/config/imported_model.h"
#include "lib/core/error.h"
#include "lib/nn/rms_norm.h"
#include "lib/train/hf_directory.h"
#include "lib/train/hf_llama.h"
#include "lib/train/model_tensors.h"
#include "models/decoder/decoder.h"

namespace ssa::train {
namespace {

using models::DecoderConfig;

// 32000 or 10000.0 -> "32000", "10000"; 1e-06 stays short.
std::string fmt_number(double v) {
  std::ostringstream out;
  out << v;
  return out.str();
}

double number(const YAML::Node& config, const char* key, double fallback) {
  return config[key] && !config[key].IsNull() ? config[key].as<double>() : fallback;
}

// config.json's features we have no equivalent of, and its shape against the model's.
void check_config_json(const std::string& path, const DecoderConfig& c) {
  const YAML::Node j = config::read_json_file(path);
  const auto refuse = [&](const std::string& problem) { throw ConfigError(path + ": " + problem); };
  if (!j.IsMap()) throw InputError(path + ": not a JSON object");
  const YAML::Node arch = j["architectures"];
  if (!arch || !arch.IsSequence() || arch.size() != 1 || arch[0].as<std::string>() != "LlamaForCausalLM")
    refuse("architectures must be [\"LlamaForCausalLM\"]; ssa-train imports only LLaMA-style decoders");
  if (j["rope_scaling"] && !j["rope_scaling"].IsNull())
    refuse("rope_scaling is set; ssa-train's RoPE is unscaled (rope_scaling: null)");
  for (const char* key : {"attention_bias", "mlp_bias"}) {
    if (j[key] && j[key].as<bool>()) refuse(std::string(key) + " is true; ssa-train's LLaMA recipe has no biases");
  }
  if (j["hidden_act"] && j["hidden_act"].as<std::string>() != "silu") refuse("hidden_act must be silu (SwiGLU)");
  // Any spelling of the decimal 1e-5 parses to the same nearest double as kRmsNormEps: exact.
  const double eps = number(j, "rms_norm_eps", 1e-6);  // transformers' LlamaConfig default
  if (eps != nn::kRmsNormEps)
    refuse("rms_norm_eps is " + fmt_number(eps) + "; ssa-train's RMSNorm uses " + fmt_number(nn::kRmsNormEps));
  const double heads = number(j, "num_attention_heads", 0);
  const std::vector<std::pair<const char*, std::pair<double, double>>> shape = {
      {"vocab_size", {number(j, "vocab_size", 0), double(c.vocab_size)}},
      {"hidden_size", {number(j, "hidden_size", 0), double(c.d_model)}},
      {"num_hidden_layers", {number(j, "num_hidden_layers", 0), double(c.layers)}},
      {"num_attention_heads", {heads, double(c.heads)}},
      {"num_key_value_heads", {number(j, "num_key_value_heads", heads), double(c.kv_heads > 0 ? c.kv_heads : c.heads)}},
      {"intermediate_size", {number(j, "intermediate_size", 0), double(c.d_ff)}},
      {"rope_theta", {number(j, "rope_theta", 10000.0), c.rope_theta}},
      {"tie_word_embeddings",
       {j["tie_word_embeddings"] && j["tie_word_embeddings"].as<bool>() ? 1.0 : 0.0, c.tie_embeddings ? 1.0 : 0.0}}};
  for (const auto& [key, values] : shape) {
    if (values.first != values.second)
      refuse(std::string(key) + " is " + fmt_number(values.first) + " but the experiment's model has " +
             fmt_number(values.second) + " (set the model keys to the checkpoint's shape)");
  }
}

}  // namespace

void import_hf_weights(const std::string& dir, models::Model& model) {
  auto* decoder = dynamic_cast<models::Decoder*>(&model);
  if (!decoder) throw ConfigError(dir + ": a Hugging Face LLaMA directory loads only into model.type decoder");
  const DecoderConfig& c = decoder->config();
  const std::string incompatible = llama_incompatibility(c);
  if (!incompatible.empty()) throw ConfigError(dir + ": cannot load into this model: " + incompatible);
  try {
    check_config_json(dir + "/config.json", c);
  } catch (const YAML::Exception& e) {
    throw InputError(dir + "/config.json: a value of an unexpected type: " + std::string(e.what()));
  }
  const auto stored = tensors_by_name(read_hf_weights(dir));
  const auto targets = model_tensors(model);
  const auto expected = to_hf_tensors(tensors_by_name(targets), c);
  const std::string mismatch = model_mismatch(expected, stored);
  if (!mismatch.empty()) throw ConfigError(dir + ": the tensors do not fit the experiment's model: " + mismatch);
  for (const auto& [name, tensor] : stored) {
    if (!at::isFloatingType(tensor.scalar_type())) throw ConfigError(dir + ": " + name + " is not floating point");
  }
  copy_into(targets, from_hf_tensors(stored, c));
}

}  // namespace ssa::train
