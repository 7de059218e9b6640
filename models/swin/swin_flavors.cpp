// Named Swin presets. "swin-t-w7" is Swin-Tiny on ImageNet (28,288,354 parameters, model-specs.md
// A.4), "swin-t-w14" its 14x14-window variant; the fmnist flavors fit a 2-core CPU (28x28 grey
// images, patch 2: stage 1 is 14x14 tokens, stage 2 7x7), "tiny" is for tests.
#include "models/flavor_table.h"
#include "models/swin/swin_config.h"

namespace ssa::models {
namespace {

SwinConfig swin_tiny(int64_t window) {
  SwinConfig c;
  c.image_size = 224;
  c.in_channels = 3;
  c.num_classes = 1000;
  c.patch_size = 4;
  c.embed_dim = 96;
  c.depths = {2, 2, 6, 2};
  c.heads = {3, 6, 12, 24};
  c.window_size = window;
  c.drop_path = 0.2;
  return c;
}

// The paper's W7/W14 comparison at Fashion-MNIST scale: W14 is one 14x14 window in stage 1,
// which sub-window SSA splits into four 7x7 sub-windows.
SwinConfig fmnist(int64_t window) {
  SwinConfig c;
  c.window_size = window;
  return c;
}

SwinConfig tiny() {
  SwinConfig c;
  c.image_size = 16;
  c.patch_size = 2;
  c.embed_dim = 16;
  c.depths = {2, 2};
  c.heads = {2, 2};
  c.window_size = 4;
  c.drop_path = 0.0;
  return c;
}

}  // namespace

const FlavorTable<SwinConfig>& swin_flavor_table() {
  static const FlavorTable<SwinConfig> table = {{"fmnist-w7", [] { return fmnist(7); }},
                                                {"fmnist-w14", [] { return fmnist(14); }},
                                                {"swin-t-w7", [] { return swin_tiny(7); }},
                                                {"swin-t-w14", [] { return swin_tiny(14); }},
                                                {"tiny", tiny}};
  return table;
}

SwinConfig swin_flavor(const std::string& name) { return flavor_from_table(swin_flavor_table(), "swin", name); }

}  // namespace ssa::models
