// The torchvision form of our ViT and Swin (docs/models.md, "torchvision files"): one safetensors
// file under the state-dict names of torchvision.models.VisionTransformer / SwinTransformer, and
// beside it (the same stem, .json) the class and constructor arguments that rebuild the model:
//   {"format": "torchvision", "class": "SwinTransformer", "builder": "swin_t", "kwargs": {...},
//    "image_size": 224}
// Our LayerNorm eps (ViT 1e-6, Swin 1e-5), exact GELU, qkv rows [q | k | v] (nn.MultiheadAttention's
// in_proj layout), Swin's relative position index and its patch-merging order x0..x3 = (0,0),
// (1,0), (0,1), (1,1) are torchvision's already: only the names change, and Swin's index buffer
// is stored flat ([N*N], as torchvision registers it).
#pragma once
#include <map>
#include <string>
#include <vector>

#include "lib/train/safetensors.h"
#include "models/model.h"

namespace ssa::train {

// One tensor under both names. index_side > 0 marks Swin's relative_position_index: ours is
// (N, N) with N = index_side, torchvision's the same values flat.
struct TensorNames {
  std::string ours, theirs;
  int64_t index_side = 0;
};

// A constructor argument as JSON text; shape arguments must match on import, training ones
// (dropout, stochastic depth) are written for the user and not checked.
struct TorchvisionArgument {
  std::string key, json;
  bool shape = true;
};

struct TorchvisionForm {
  std::string class_name;  // VisionTransformer or SwinTransformer
  std::string builder;     // "vit_b_16" or "swin_t" when the shape is that preset's, else ""
  std::vector<TorchvisionArgument> arguments;
  int64_t image_size = 0;          // ours; torchvision's Swin takes any size, its ViT this one
  std::vector<TensorNames> names;  // in torchvision's state-dict order
};

// "" when `model` (a ViT or Swin) has a torchvision equivalent; else one line naming what differs
// and the supported shape.
std::string torchvision_incompatibility(const models::Model& model);

// The form of a compatible model (torchvision_incompatibility "").
TorchvisionForm torchvision_form(const models::Model& model);

// Our tensors (model_tensors names) -> torchvision's names, in its order; Swin's attention masks
// (torchvision computes them in forward) are not written.
std::vector<NamedTensor> to_torchvision_tensors(const std::map<std::string, at::Tensor>& ours,
                                                const TorchvisionForm& form);

// The inverse, for every name of the form (check with model_mismatch first).
std::map<std::string, at::Tensor> from_torchvision_tensors(const std::map<std::string, at::Tensor>& theirs,
                                                           const TorchvisionForm& form);

// The JSON file beside the weights, keys in a fixed order.
std::string torchvision_json(const TorchvisionForm& form);

// True when `path` is a .safetensors file with a torchvision JSON beside it.
bool is_torchvision_file(const std::string& path);

// ConfigError naming --out unless `weights` ends in .safetensors and neither it nor its JSON exists.
void check_new_torchvision_file(const std::string& weights);

// Writes `weights` and its JSON, both new (check_new_torchvision_file), each
// under a temporary name renamed at the end; on a failure nothing is left.
void write_torchvision_file(const std::string& weights, const std::vector<NamedTensor>& tensors, const std::string& json);

// Loads a torchvision file into the experiment's ViT or Swin. ConfigError (exit 2) in one line for
// another class, a shape argument or image_size other than the model's, a missing, unexpected or
// reshaped tensor, or another relative position index; InputError (exit 3) for a truncated or
// malformed file. Nothing is copied unless everything fits.
void import_torchvision_weights(const std::string& path, models::Model& model);

}  // namespace ssa::train
