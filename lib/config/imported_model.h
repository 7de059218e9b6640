// model.from_checkpoint: the model section taken from a Hugging Face LLaMA directory's
// config.json, or from the JSON beside a torchvision ViT / Swin file (the weights run.init_from
// or an eval/export/predict --checkpoint names), merged into the experiment's YAML before it is
// read. Keys the experiment also sets must agree with it.
#pragma once
#include <string>

#include <yaml-cpp/yaml.h>

namespace ssa::config {

// When root's model.from_checkpoint is true: sets model.type and the shape keys from
// `weights`/config.json, or `weights` with .json for .safetensors (else from run.init_from's),
// and for LLaMA model.dropout to 0 unless set.
// ConfigError naming the key when the experiment sets a shape key to another value, or names no
// checkpoint; InputError when config.json is missing or lacks a key.
void merge_imported_model(YAML::Node& root, const std::string& weights);

}  // namespace ssa::config
