// torchvision ViT and Swin files (see torchvision_format.h). Names from torchvision 0.14/0.21's
// VisionTransformer and SwinTransformer state dicts (../shared/reference/interop-formats.md).
#include "lib/train/torchvision_format.h"

#include <filesystem>

#include <ATen/ATen.h>
#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "lib/config/imported_model.h"
#include "lib/config/yaml_reader.h"
#include "lib/core/error.h"
#include "lib/core/exclusive_file.h"
#include "lib/train/model_tensors.h"
#include "models/swin/swin.h"
#include "models/vit/vit.h"

namespace ssa::train {
namespace fs = std::filesystem;
namespace {

using models::Swin;
using models::Vit;

constexpr const char* kFormatName = "torchvision";
constexpr int64_t kTorchvisionChannels = 3;  // conv_proj and features.0.0 read RGB

// 4.0 -> "4.0", 0.25 -> "0.25": Python's repr of a float.
std::string json_float(double v) {
  return v == static_cast<double>(static_cast<int64_t>(v)) ? fmt::format("{:.1f}", v) : fmt::format("{}", v);
}

std::string json_list(const std::vector<int64_t>& values) { return fmt::format("[{}]", fmt::join(values, ", ")); }

void add_pair(std::vector<TensorNames>& names, const std::string& ours, const std::string& theirs) {
  for (const char* part : {"weight", "bias"}) names.push_back({ours + "." + part, theirs + "." + part});
}

std::vector<TensorNames> vit_names(const models::VitConfig& c) {
  std::vector<TensorNames> n = {{"cls_token", "class_token"}};
  add_pair(n, "patch_embed", "conv_proj");
  n.push_back({"pos_embed", "encoder.pos_embedding"});
  for (int64_t k = 0; k < c.depth; ++k) {
    const std::string ours = "blocks." + std::to_string(k) + ".";
    const std::string theirs = "encoder.layers.encoder_layer_" + std::to_string(k) + ".";
    add_pair(n, ours + "norm1", theirs + "ln_1");
    n.push_back({ours + "attn.qkv.weight", theirs + "self_attention.in_proj_weight"});
    n.push_back({ours + "attn.qkv.bias", theirs + "self_attention.in_proj_bias"});
    add_pair(n, ours + "attn.proj", theirs + "self_attention.out_proj");
    add_pair(n, ours + "norm2", theirs + "ln_2");
    add_pair(n, ours + "fc1", theirs + "mlp.0");
    add_pair(n, ours + "fc2", theirs + "mlp.3");
  }
  add_pair(n, "norm", "encoder.ln");
  add_pair(n, "head", "heads.head");
  return n;
}

// One shifted-window block: ours is layers.<i>, torchvision's features.<stage feature>.<b>.
void add_swin_block(std::vector<TensorNames>& n, const std::string& ours, const std::string& theirs, int64_t window) {
  add_pair(n, ours + "norm1", theirs + "norm1");
  n.push_back({ours + "relative_position_bias_table", theirs + "attn.relative_position_bias_table"});
  n.push_back({ours + "relative_position_index", theirs + "attn.relative_position_index", window * window});
  add_pair(n, ours + "attn.qkv", theirs + "attn.qkv");
  add_pair(n, ours + "attn.out", theirs + "attn.proj");
  add_pair(n, ours + "norm2", theirs + "norm2");
  add_pair(n, ours + "fc1", theirs + "mlp.0");
  add_pair(n, ours + "fc2", theirs + "mlp.3");
}

// Our layers list holds each stage's blocks then its patch merging; torchvision's features are
// [patch embedding, stage 1, merging 1, stage 2, ...].
std::vector<TensorNames> swin_names(const models::SwinConfig& c) {
  std::vector<TensorNames> n;
  add_pair(n, "patch_embed", "features.0.0");
  add_pair(n, "patch_norm", "features.0.2");
  int64_t layer = 0;
  for (size_t s = 0; s < c.depths.size(); ++s) {
    for (int64_t b = 0; b < c.depths[s]; ++b, ++layer) {
      add_swin_block(n, "layers." + std::to_string(layer) + ".",
                     "features." + std::to_string(2 * s + 1) + "." + std::to_string(b) + ".", c.window_size);
    }
    if (s + 1 == c.depths.size()) break;
    const std::string ours = "layers." + std::to_string(layer++) + ".",
                      theirs = "features." + std::to_string(2 * s + 2) + ".";
    n.push_back({ours + "reduction.weight", theirs + "reduction.weight"});
    add_pair(n, ours + "norm", theirs + "norm");
  }
  add_pair(n, "norm", "norm");
  add_pair(n, "head", "head");
  return n;
}

TorchvisionForm vit_form(const models::VitConfig& c) {
  const auto mlp_dim = static_cast<int64_t>(static_cast<double>(c.dim) * c.mlp_ratio);
  TorchvisionForm f{"VisionTransformer", "", {}, c.image_size, vit_names(c)};
  f.arguments = {{"image_size", std::to_string(c.image_size)},
                 {"patch_size", std::to_string(c.patch_size)},
                 {"num_layers", std::to_string(c.depth)},
                 {"num_heads", std::to_string(c.heads)},
                 {"hidden_dim", std::to_string(c.dim)},
                 {"mlp_dim", std::to_string(mlp_dim)},
                 {"num_classes", std::to_string(c.num_classes)},
                 {"dropout", json_float(c.dropout), false},
                 {"attention_dropout", json_float(c.attention_dropout), false}};
  const bool b16 = c.image_size == 224 && c.patch_size == 16 && c.depth == 12 && c.heads == 12 && c.dim == 768 &&
                   mlp_dim == 3072;
  if (b16) f.builder = "vit_b_16";
  return f;
}

TorchvisionForm swin_form(const models::SwinConfig& c) {
  TorchvisionForm f{"SwinTransformer", "", {}, c.image_size, swin_names(c)};
  f.arguments = {{"patch_size", json_list({c.patch_size, c.patch_size})},
                 {"embed_dim", std::to_string(c.embed_dim)},
                 {"depths", json_list(c.depths)},
                 {"num_heads", json_list(c.heads)},
                 {"window_size", json_list({c.window_size, c.window_size})},
                 {"mlp_ratio", json_float(c.mlp_ratio)},
                 {"num_classes", std::to_string(c.num_classes)},
                 {"dropout", "0.0", false},
                 {"attention_dropout", json_float(c.attention_dropout), false},
                 {"stochastic_depth_prob", json_float(c.drop_path), false}};
  const bool t = c.patch_size == 4 && c.embed_dim == 96 && c.depths == std::vector<int64_t>{2, 2, 6, 2} &&
                 c.heads == std::vector<int64_t>{3, 6, 12, 24} && c.window_size == 7 && c.mlp_ratio == 4.0;
  if (t) f.builder = "swin_t";
  return f;
}

std::string channels_problem(const std::string& cls, int64_t channels) {
  if (channels == kTorchvisionChannels) return "";
  return "torchvision's " + cls + " reads 3-channel images; model.in_channels is " + std::to_string(channels);
}

std::string swin_problem(const models::SwinConfig& c) {
  const std::string channels = channels_problem("SwinTransformer", c.in_channels);
  if (!channels.empty()) return channels;
  for (const auto& g : models::swin_geometry(c)) {
    if (g.height >= c.window_size) continue;
    return fmt::format(
        "a stage of {}x{} tokens is smaller than model.window_size {}: ssa-train clips the window there, "
        "torchvision pads the map; use a window no larger than the last stage",
        g.height, g.width, c.window_size);
  }
  return "";
}

// The class, every shape argument and image_size (when the file states one) against the model's.
void check_torchvision_json(const std::string& path, const TorchvisionForm& form) {
  const auto refuse = [&](const std::string& problem) { throw ConfigError(path + ": " + problem); };
  const YAML::Node j = config::read_torchvision_json(path);
  const auto cls = j["class"].as<std::string>();
  if (cls != form.class_name) refuse("class is " + cls + " but the experiment's model is a " + form.class_name);
  for (const auto& a : form.arguments) {
    if (!a.shape) continue;
    const YAML::Node stored = j["kwargs"][a.key];
    if (!stored) refuse("kwargs has no " + a.key + " (the model has " + a.json + ")");
    if (!config::same_value(stored, YAML::Load(a.json)))
      refuse("kwargs." + a.key + " is " + config::one_line(stored) + " but the experiment's model has " + a.json +
             " (set the model keys to the checkpoint's shape, or model.from_checkpoint: true)");
  }
  if (j["image_size"] && !j["image_size"].IsNull() && j["image_size"].as<int64_t>() != form.image_size)
    refuse(fmt::format("image_size is {} but the experiment's model.image_size is {}", j["image_size"].as<int64_t>(),
                       form.image_size));
}

// Swin's index is a constant of the window; another one is another convention, not a weight.
void check_position_index(const std::string& path, const std::map<std::string, at::Tensor>& ours,
                          const std::map<std::string, at::Tensor>& stored, const TorchvisionForm& form) {
  for (const auto& n : form.names) {
    if (n.index_side == 0) continue;
    if (!at::equal(stored.at(n.theirs).to(at::kLong).reshape({-1}), ours.at(n.ours).reshape({-1})))
      throw ConfigError(path + ": " + n.theirs + " is not the relative position index of a " +
                        std::to_string(n.index_side) + "-token window");
  }
}

}  // namespace

std::string torchvision_incompatibility(const models::Model& model) {
  if (const auto* vit = dynamic_cast<const Vit*>(&model)) {
    const auto& c = vit->config();
    if (c.pool != models::PoolKind::kCls)
      return "torchvision's VisionTransformer reads out a class token; model.pool is mean";
    return channels_problem("VisionTransformer", c.in_channels);
  }
  if (const auto* swin = dynamic_cast<const Swin*>(&model)) return swin_problem(swin->config());
  return "only model.type vit and swin have a torchvision form (VisionTransformer, SwinTransformer)";
}

TorchvisionForm torchvision_form(const models::Model& model) {
  if (const auto* vit = dynamic_cast<const Vit*>(&model)) return vit_form(vit->config());
  return swin_form(dynamic_cast<const Swin&>(model).config());
}

std::vector<NamedTensor> to_torchvision_tensors(const std::map<std::string, at::Tensor>& ours,
                                                const TorchvisionForm& form) {
  std::vector<NamedTensor> out;
  for (const auto& n : form.names) {
    const at::Tensor& t = ours.at(n.ours);
    out.push_back({n.theirs, n.index_side > 0 ? t.reshape({-1}) : t});
  }
  return out;
}

std::map<std::string, at::Tensor> from_torchvision_tensors(const std::map<std::string, at::Tensor>& theirs,
                                                           const TorchvisionForm& form) {
  std::map<std::string, at::Tensor> out;
  for (const auto& n : form.names) {
    const at::Tensor& t = theirs.at(n.theirs);
    out[n.ours] = n.index_side > 0 ? t.reshape({n.index_side, n.index_side}) : t;
  }
  return out;
}

std::string torchvision_json(const TorchvisionForm& form) {
  std::string kwargs;
  for (const auto& a : form.arguments)
    kwargs += fmt::format("{}    \"{}\": {}", kwargs.empty() ? "" : ",\n", a.key, a.json);
  const std::string builder = form.builder.empty() ? "null" : "\"" + form.builder + "\"";
  return fmt::format(
      "{{\n  \"format\": \"{}\",\n  \"class\": \"{}\",\n  \"builder\": {},\n  \"kwargs\": {{\n{}\n  }},\n"
      "  \"image_size\": {}\n}}\n",
      kFormatName, form.class_name, builder, kwargs, form.image_size);
}

bool is_torchvision_file(const std::string& path) {
  return fs::path(path).extension() == ".safetensors" && fs::is_regular_file(path) &&
         fs::is_regular_file(config::torchvision_json_path(path));
}

void check_new_torchvision_file(const std::string& weights) {
  if (fs::path(weights).extension() != ".safetensors")
    throw ConfigError("--out: " + weights + " must end in .safetensors (its JSON goes beside it)");
  for (const auto& p : {weights, config::torchvision_json_path(weights)}) {
    if (fs::exists(p)) throw ConfigError("--out: " + p + " exists; export writes new files");
  }
}

void write_torchvision_file(const std::string& weights, const std::vector<NamedTensor>& tensors, const std::string& json) {
  const std::string json_path = config::torchvision_json_path(weights);
  check_new_torchvision_file(weights);
  const std::string temporary = fresh_temporary(weights);
  try {
    save_safetensors(temporary, tensors);
    replace_file_atomically(json_path, json);
    commit_by_rename(temporary, weights);
  } catch (const std::exception& e) {
    std::error_code ec;
    fs::remove(temporary, ec);
    fs::remove(json_path, ec);
    throw Error(ExitCode::kIo, "cannot write " + weights + ": " + e.what());
  }
}

void import_torchvision_weights(const std::string& path, models::Model& model) {
  const std::string problem = torchvision_incompatibility(model);
  if (!problem.empty()) throw ConfigError(path + ": cannot load into this model: " + problem);
  const TorchvisionForm form = torchvision_form(model);
  try {
    check_torchvision_json(config::torchvision_json_path(path), form);
  } catch (const YAML::Exception& e) {
    throw InputError(config::torchvision_json_path(path) + ": a value of an unexpected type: " + std::string(e.what()));
  }
  const auto stored = tensors_by_name(load_safetensors(path, Checksums::kIfPresent));
  const auto ours = tensors_by_name(model_tensors(model));
  const std::string mismatch = model_mismatch(to_torchvision_tensors(ours, form), stored);
  if (!mismatch.empty()) throw ConfigError(path + ": the tensors do not fit the experiment's model: " + mismatch);
  check_position_index(path, ours, stored, form);
  std::vector<NamedTensor> targets;
  for (const auto& n : form.names) {
    if (n.index_side == 0 && !at::isFloatingType(stored.at(n.theirs).scalar_type()))
      throw ConfigError(path + ": " + n.theirs + " is not floating point");
    targets.push_back({n.ours, ours.at(n.ours)});
  }
  copy_into(targets, from_torchvision_tensors(stored, form));
}

}  // namespace ssa::train
