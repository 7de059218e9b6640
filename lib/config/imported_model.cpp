// The model section of a Hugging Face LLaMA config.json (see imported_model.h).
#include "lib/config/imported_model.h"

#include <filesystem>
#include <map>

#include "lib/core/error.h"
#include "lib/core/input_file.h"

namespace ssa::config {
namespace {

// config.json's values as the decoder's keys (docs/models.md, "Weights in and out").
std::map<std::string, YAML::Node> llama_section(const std::string& path) {
  YAML::Node j;
  try {
    j = YAML::Load(read_input_file(path));
  } catch (const YAML::Exception& e) {
    throw InputError(path + ": not JSON: " + std::string(e.what()));
  }
  const auto need = [&](const char* key) {
    if (!j.IsMap() || !j[key] || j[key].IsNull()) throw InputError(path + ": has no " + std::string(key));
    return j[key];
  };
  const auto optional = [&](const char* key, const char* fallback) {
    return j[key] && !j[key].IsNull() ? j[key] : YAML::Node(fallback);
  };
  return {{"type", YAML::Node("decoder")},
          {"vocab_size", need("vocab_size")},
          {"layers", need("num_hidden_layers")},
          {"d_model", need("hidden_size")},
          {"heads", need("num_attention_heads")},
          {"kv_heads", optional("num_key_value_heads", "0")},
          {"d_ff", need("intermediate_size")},
          {"rope_theta", optional("rope_theta", "10000")},
          {"tie_embeddings", optional("tie_word_embeddings", "false")},
          {"position", YAML::Node("rope")},
          {"norm", YAML::Node("rmsnorm")},
          {"ffn", YAML::Node("swiglu")},
          {"bias", YAML::Node("false")},
          {"scale_embedding", YAML::Node("false")},
          {"final_norm", YAML::Node("true")}};
}

// Two scalars that mean the same value: equal text, or equal numbers ("10000" and "10000.0").
bool same_value(const YAML::Node& a, const YAML::Node& b) {
  const auto text_a = a.as<std::string>(), text_b = b.as<std::string>();
  if (text_a == text_b) return true;
  try {
    return std::stod(text_a) == std::stod(text_b);
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace

void merge_imported_model(YAML::Node& root, const std::string& weights) {
  if (!root || !root.IsMap() || !root["model"] || !root["model"].IsMap()) return;
  YAML::Node model = root["model"];
  if (!model["from_checkpoint"] || !model["from_checkpoint"].IsScalar() ||
      model["from_checkpoint"].as<std::string>() != "true")
    return;
  std::string source = weights;
  if (source.empty() && root["run"] && root["run"].IsMap() && root["run"]["init_from"])
    source = root["run"]["init_from"].as<std::string>();
  if (source.empty())
    throw ConfigError("model.from_checkpoint: names no checkpoint; set run.init_from (or eval/export --checkpoint)");
  const std::string path = (std::filesystem::path(source) / "config.json").string();
  if (!std::filesystem::exists(path))
    throw InputError(path + ": not found (model.from_checkpoint reads a Hugging Face LLaMA directory's config.json)");
  for (const auto& [key, value] : llama_section(path)) {
    const YAML::Node set = model[key];
    if (set && set.IsScalar() && !same_value(set, value)) {
      throw ConfigError("model." + key + ": is " + set.as<std::string>() + " but " + path + " says " +
                        value.as<std::string>() + " (model.from_checkpoint takes the shape from it; remove the key)");
    }
    model[key] = value;
  }
  if (!model["dropout"]) model["dropout"] = 0.0;  // the LLaMA recipe's
}

}  // namespace ssa::config
