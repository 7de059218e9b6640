// Named ViT presets (model.flavor). ViT-S/16 and ViT-B/16 are Dosovitskiy et al.'s (timm's
// vit_small_patch16_224 and vit_base_patch16_224): 22,050,664 and 86,567,656 parameters with
// 1000 classes.
#include "models/vit/vit_config.h"

namespace ssa::models {
namespace {

// 224x224 RGB in 16x16 patches (196 tokens + the class token), ImageNet's 1000 classes.
VitConfig imagenet_vit(int64_t dim, int64_t heads) {
  VitConfig c;
  c.image_size = 224;
  c.in_channels = 3;
  c.num_classes = 1000;
  c.patch_size = 16;
  c.dim = dim;
  c.depth = 12;
  c.heads = heads;
  c.ssa.windows = 2;  // 14 patch rows: bands of 7
  return c;
}

// Integration tests: two narrow blocks on the 4x4 patch grid of Fashion-MNIST.
VitConfig tiny() {
  VitConfig c;
  c.dim = 32;
  c.depth = 2;
  c.heads = 2;
  c.drop_path = 0.05;
  return c;
}

}  // namespace

const FlavorTable<VitConfig>& vit_flavor_table() {
  static const FlavorTable<VitConfig> table = {{"fmnist", [] { return VitConfig{}; }},
                                               {"tiny", tiny},
                                               {"vit-s16", [] { return imagenet_vit(384, 6); }},
                                               {"vit-b16", [] { return imagenet_vit(768, 12); }}};
  return table;
}

VitConfig vit_flavor(const std::string& name) { return flavor_from_table(vit_flavor_table(), "vit", name); }

}  // namespace ssa::models
