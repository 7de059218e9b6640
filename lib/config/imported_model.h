// model.from_checkpoint: the model section taken from a Hugging Face LLaMA directory's
// config.json, or from the JSON beside a torchvision ViT / Swin file (the weights run.init_from
// or an eval/export/predict --checkpoint names), merged into the experiment's YAML before it is
// read. Keys the experiment also sets must agree with it.
#pragma once
#include <string>

#include <yaml-cpp/yaml.h>

namespace ssa::config {

// A JSON file (config.json, a torchvision JSON) as a YAML node; InputError "PATH: not JSON: ...".
YAML::Node read_json_file(const std::string& path);

// "dir/vit.safetensors" -> "dir/vit.json": where a torchvision file's JSON sits.
std::string torchvision_json_path(const std::string& weights);

// A torchvision file's JSON with its "class" and "kwargs" map; InputError naming what is missing.
YAML::Node read_torchvision_json(const std::string& path);

// Two JSON values that mean the same: equal text, equal numbers ("10000" and "10000.0"), or
// lists of such.
bool same_value(const YAML::Node& a, const YAML::Node& b);

// When root's model.from_checkpoint is true: sets model.type and the shape keys from
// `weights`/config.json, or `weights` with .json for .safetensors (else from run.init_from's),
// and for LLaMA model.dropout to 0 unless set.
// ConfigError naming the key when the experiment sets a shape key to another value, or names no
// checkpoint; InputError when config.json is missing or lacks a key.
void merge_imported_model(YAML::Node& root, const std::string& weights);

}  // namespace ssa::config
