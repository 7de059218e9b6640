// A learned 2D relative position bias (as in Swin) for sequences that are an image's sub-pixels
// in raster (row, column, channel) order: the pixel offset (d_row, d_col) between a target and a
// source selects one of (2H-1)(2W-1) entries per head; the sub-pixels of one pixel share d = (0, 0).
#pragma once
#include <cstdint>

#include <ATen/core/Tensor.h>

namespace ssa::nn {

struct ImageGrid {
  int64_t height = 0, width = 0, channels = 1;  // sequence length = height * width * channels
  int64_t table_size() const { return (2 * height - 1) * (2 * width - 1); }
};

// Table row of each (target, source) pair: target_pos (G, Tq), source_pos (G, S) int64 sequence
// positions -> (G, Tq, S) int64 in [0, table_size).
at::Tensor grid_relative_index(const ImageGrid& grid, const at::Tensor& target_pos, const at::Tensor& source_pos);

// table ((2H-1)(2W-1), H_heads) gathered for the pairs -> (H_heads, G, Tq, S), with -inf where the
// source comes after the target when causal.
at::Tensor grid_relative_bias(const ImageGrid& grid, const at::Tensor& table, const at::Tensor& target_pos,
                              const at::Tensor& source_pos, bool causal);

}  // namespace ssa::nn
