// Shape and regularisation of the Vision Transformer (models/vit/vit.h). Defaults are the
// CPU-sized "fmnist" flavor: 28x28 grey images in 7x7-pixel patches (a 4x4 grid of tokens); the
// paper-scale shapes (ViT-S/16, ViT-B/16 at 224) live in vit_flavors.cpp.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "lib/ssa/ssa_config.h"
#include "lib/core/field_spec.h"
#include "models/flavor_table.h"

namespace ssa::models {

// model.pool, with its config spellings.
enum class PoolKind { kCls, kMean };
inline const config::ChoiceNames<PoolKind> kPoolKinds = {{"cls", PoolKind::kCls}, {"mean", PoolKind::kMean}};

struct VitConfig {
  int64_t image_size = 28;  // square input side, pixels
  int64_t in_channels = 1;
  int64_t num_classes = 10;
  int64_t patch_size = 7;  // patch embedding kernel and stride: (image_size / patch_size)^2 tokens
  int64_t dim = 64;        // token width
  int64_t depth = 4;       // transformer blocks
  int64_t heads = 4;
  double mlp_ratio = 4.0;          // MLP hidden width / dim
  PoolKind pool = PoolKind::kCls;  // cls: a class token is read out; mean: the mean of the patch tokens
  double dropout = 0.0;            // after the position embedding and in the MLP
  double attention_dropout = 0.0;
  double drop_path = 0.1;  // stochastic depth, linear from 0 to this over the blocks
  // SSA over the patch grid: local_2d (bands of patch rows, locally biased), local (1D) or
  // unbiased. The class token is a source of every window and attends to every token.
  attn::SsaConfig ssa{attn::SsaVariant::kLocalGrid, /*windows=*/4,       /*keep_ratio=*/0.25, /*layers=*/-1,
                      /*sigma_first=*/0.1,          /*sigma_last=*/0.25, /*row_length=*/0};
};

// A named preset ("fmnist", "tiny", "vit-s16", "vit-b16"), or throws naming the known ones.
VitConfig vit_flavor(const std::string& name);
const FlavorTable<VitConfig>& vit_flavor_table();

}  // namespace ssa::models
