// 2D relative position bias over sub-pixel sequences (see grid_bias.h).
#include "lib/nn/grid_bias.h"

#include <limits>

#include <ATen/ATen.h>

namespace ssa::nn {

at::Tensor grid_relative_index(const ImageGrid& grid, const at::Tensor& target_pos, const at::Tensor& source_pos) {
  const auto pixel_t = target_pos.div(grid.channels, "floor"), pixel_s = source_pos.div(grid.channels, "floor");
  const auto row_t = pixel_t.div(grid.width, "floor").unsqueeze(-1), col_t = pixel_t.remainder(grid.width).unsqueeze(-1);
  const auto row_s = pixel_s.div(grid.width, "floor").unsqueeze(-2), col_s = pixel_s.remainder(grid.width).unsqueeze(-2);
  const auto d_row = row_t - row_s + (grid.height - 1);  // (G, Tq, S) in [0, 2H-1)
  const auto d_col = col_t - col_s + (grid.width - 1);   // (G, Tq, S) in [0, 2W-1)
  return d_row * (2 * grid.width - 1) + d_col;
}

at::Tensor grid_relative_bias(const ImageGrid& grid, const at::Tensor& table, const at::Tensor& target_pos,
                              const at::Tensor& source_pos, bool causal) {
  const auto index = grid_relative_index(grid, target_pos, source_pos);  // (G, Tq, S)
  auto bias = table.index_select(0, index.reshape({-1}))
                  .view({index.size(0), index.size(1), index.size(2), -1})
                  .permute({3, 0, 1, 2});  // (H, G, Tq, S)
  if (causal) {
    const auto future = (source_pos.unsqueeze(-2) > target_pos.unsqueeze(-1)).unsqueeze(0);  // (1, G, Tq, S)
    bias = bias.masked_fill(future, -std::numeric_limits<float>::infinity());
  }
  return bias;
}

}  // namespace ssa::nn
