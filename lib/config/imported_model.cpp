// The model section of a Hugging Face LLaMA config.json or a torchvision file's JSON (see
// imported_model.h).
#include "lib/config/imported_model.h"

#include <filesystem>
#include <map>

#include "lib/core/error.h"
#include "lib/core/input_file.h"
#include "lib/config/yaml_reader.h"

namespace ssa::config {
namespace {

// config.json's values as the decoder's keys (docs/models.md, "Weights in and out").
std::map<std::string, YAML::Node> llama_section(const std::string& path) {
  const YAML::Node j = read_json_file(path);
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

// A torchvision file's JSON (lib/train/torchvision_format.h) as the vit or swin keys (and the
// flavor of a vit_b_16 or swin_t builder); a square patch and window. image_size comes from the
// file when it states one (Swin takes any size).
std::map<std::string, YAML::Node> torchvision_section(const std::string& path) {
  const YAML::Node j = read_torchvision_json(path);
  const YAML::Node kw = j["kwargs"];
  const auto need = [&](const char* key) {
    if (!kw[key] || kw[key].IsNull()) throw InputError(path + ": kwargs has no " + std::string(key));
    return kw[key];
  };
  const auto first = [&](const char* key) { return need(key).IsSequence() ? need(key)[0] : need(key); };
  std::map<std::string, YAML::Node> m = {{"in_channels", YAML::Node(3)}, {"num_classes", need("num_classes")}};
  const auto cls = j["class"].as<std::string>();
  // A preset's builder brings our preset's training defaults (drop_path, SSA windows) too.
  const std::map<std::string, std::string> flavors = {{"vit_b_16", "vit-b16"}, {"swin_t", "swin-t-w7"}};
  if (j["builder"] && !j["builder"].IsNull() && flavors.count(j["builder"].as<std::string>()))
    m.insert({"flavor", YAML::Node(flavors.at(j["builder"].as<std::string>()))});
  if (cls == "VisionTransformer") {
    const double ratio = need("mlp_dim").as<double>() / need("hidden_dim").as<double>();
    m.insert({{"type", YAML::Node("vit")},
              {"image_size", need("image_size")},
              {"patch_size", need("patch_size")},
              {"depth", need("num_layers")},
              {"heads", need("num_heads")},
              {"dim", need("hidden_dim")},
              {"mlp_ratio", YAML::Node(ratio)},
              {"pool", YAML::Node("cls")}});
  } else if (cls == "SwinTransformer") {
    m.insert({{"type", YAML::Node("swin")},
              {"patch_size", first("patch_size")},
              {"embed_dim", need("embed_dim")},
              {"depths", need("depths")},
              {"heads", need("num_heads")},
              {"window_size", first("window_size")},
              {"mlp_ratio", need("mlp_ratio")}});
    if (j["image_size"] && !j["image_size"].IsNull()) m.insert({"image_size", j["image_size"]});
  } else {
    throw ConfigError(path + ": class is " + cls + "; ssa-train imports VisionTransformer and SwinTransformer");
  }
  return m;
}

}  // namespace

YAML::Node read_json_file(const std::string& path) {
  try {
    return YAML::Load(read_input_file(path));
  } catch (const YAML::Exception& e) {
    throw InputError(path + ": not JSON: " + std::string(e.what()));
  }
}

std::string torchvision_json_path(const std::string& weights) {
  return std::filesystem::path(weights).replace_extension(".json").string();
}

YAML::Node read_torchvision_json(const std::string& path) {
  YAML::Node j = read_json_file(path);
  if (!j.IsMap() || !j["class"] || !j["kwargs"] || !j["kwargs"].IsMap())
    throw InputError(path + ": needs \"class\" and \"kwargs\" (a torchvision constructor and its arguments)");
  return j;
}

bool same_value(const YAML::Node& a, const YAML::Node& b) {
  if (a.IsSequence() || b.IsSequence()) {
    if (!a.IsSequence() || !b.IsSequence() || a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
      if (!same_value(a[i], b[i])) return false;
    }
    return true;
  }
  if (!a.IsScalar() || !b.IsScalar()) return false;
  const auto text_a = a.as<std::string>(), text_b = b.as<std::string>();
  if (text_a == text_b) return true;
  try {
    return std::stod(text_a) == std::stod(text_b);
  } catch (const std::exception&) {
    return false;
  }
}

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
  const bool torchvision = std::filesystem::path(source).extension() == ".safetensors";
  const std::string path = torchvision ? torchvision_json_path(source)
                                       : (std::filesystem::path(source) / "config.json").string();
  if (!std::filesystem::exists(path))
    throw InputError(path +
                     ": not found (model.from_checkpoint reads a Hugging Face LLaMA directory's config.json, "
                     "or the JSON beside a torchvision file)");
  for (const auto& [key, value] : torchvision ? torchvision_section(path) : llama_section(path)) {
    const YAML::Node set = model[key];
    if (set && !set.IsMap() && !same_value(set, value)) {
      throw ConfigError("model." + key + ": is " + one_line(set) + " but " + path + " says " + one_line(value) +
                        " (model.from_checkpoint takes the shape from it; remove the key)");
    }
    model[key] = value;
  }
  if (!torchvision && !model["dropout"]) model["dropout"] = 0.0;  // the LLaMA recipe's
}

}  // namespace ssa::config
