// Shape and regularisation of the Swin Transformer (models/swin/swin.h). Defaults are the CPU
// "fmnist-w7" flavor for 28x28 grey images; the paper's Swin-T lives in swin_flavors.cpp.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "lib/ssa/ssa_config.h"
#include "models/flavor_table.h"

namespace ssa::models {

struct SwinConfig {
  int64_t image_size = 28;  // square input side, pixels
  int64_t in_channels = 1;
  int64_t num_classes = 10;
  int64_t patch_size = 2;                // patch embedding stride and kernel
  int64_t embed_dim = 48;                // channels of stage 1; doubled by every patch merging
  std::vector<int64_t> depths = {2, 4};  // blocks per stage
  std::vector<int64_t> heads = {3, 6};   // attention heads per stage
  int64_t window_size = 7;               // attention window side (clipped to a smaller stage)
  double mlp_ratio = 4.0;
  double drop_path = 0.1;  // stochastic depth, linear from 0 to this over all blocks
  double attention_dropout = 0.0;
  // Sub-window SSA (paper Sec. 6): each window split into `windows` sub-windows, sigma as a
  // fraction of the window side. Only blocks whose window splits evenly are SSA-eligible;
  // `layers` counts the last eligible blocks (S6 of Swin-T W14 = stage 3). Variant kUnbiased
  // (paper Table 9) keeps the same ceil(keep_ratio * N) random sources of each N-token window for
  // all its targets, on the same eligible blocks.
  attn::SsaConfig ssa{attn::SsaVariant::kSwinSubwindow,
                      /*windows=*/4,
                      /*keep_ratio=*/0.5,
                      /*layers=*/0,
                      /*sigma_first=*/0.75,
                      /*sigma_last=*/0.75,
                      /*row_length=*/0};
};

// A named preset ("fmnist-w7", "fmnist-w14", "tiny", "swin-t-w7", "swin-t-w14"), or throws.
SwinConfig swin_flavor(const std::string& name);
const FlavorTable<SwinConfig>& swin_flavor_table();

}  // namespace ssa::models
