// The 2D SSA variants (see source_sampler.h): images and Swin windows are grids in raster order;
// sources are shuffled horizontally (columns within each row) and then vertically (rows within
// each column) by localrandperm, which keeps the shuffle a true permutation of the grid.
#include <ATen/ATen.h>

#include "lib/core/error.h"
#include "lib/ssa/source_sampler.h"

namespace ssa::attn {
namespace {

// Flattens (n_w, ...) blocks of positions into sorted (n_w, S) source sets.
at::Tensor sorted_sets(const at::Tensor& blocks, int64_t windows) {
  return std::get<0>(blocks.reshape({windows, -1}).sort(-1));
}

}  // namespace

at::Tensor SourceSampler::shuffled_grid(int64_t rows, int64_t cols, double sigma_rows, double sigma_cols) {
  const auto noise_cols = at::randn({rows, cols}, generator_, at::kDouble).mul(sigma_cols);
  const auto col_perm = std::get<1>((at::arange(cols, at::kDouble).unsqueeze(0) + noise_cols).sort(1));  // (rows, cols)
  const auto horizontal = at::arange(rows, at::kLong).unsqueeze(1).mul(cols) + col_perm;                 // (rows, cols)
  const auto noise_rows = at::randn({rows, cols}, generator_, at::kDouble).mul(sigma_rows);
  const auto row_perm = std::get<1>((at::arange(rows, at::kDouble).unsqueeze(1) + noise_rows).sort(0));  // (rows, cols)
  return horizontal.gather(0, row_perm);                                                                 // (rows, cols)
}

SourceSample SourceSampler::causal_grid(int64_t rows, int64_t row_length, int64_t windows, double sigma_rows,
                                        double sigma_cols) {
  SSA_CHECK(windows >= 1 && rows % windows == 0, ExitCode::kConfig, "SSA: {} grid rows do not split into {} windows",
            rows, windows);
  const int64_t band = rows / windows;
  std::vector<at::Tensor> sets;
  for (int64_t w = 0; w < windows; ++w) {
    const int64_t end = (w + 1) * band;  // rows [0, end) are allowed; the last `band` rows are read out
    sets.push_back(shuffled_grid(end, row_length, sigma_rows, sigma_cols).slice(0, end - band, end).reshape({-1}));
  }
  return {sorted_sets(at::stack(sets), windows), windows};
}

SourceSample SourceSampler::local_grid(int64_t rows, int64_t row_length, int64_t windows, double sigma_rows,
                                       double sigma_cols) {
  SSA_CHECK(windows >= 1 && rows % windows == 0, ExitCode::kConfig, "SSA: {} grid rows do not split into {} windows",
            rows, windows);
  return {sorted_sets(shuffled_grid(rows, row_length, sigma_rows, sigma_cols), windows), windows};
}

SourceSample SourceSampler::swin_subwindows(int64_t side, int64_t per_side, double sigma) {
  SSA_CHECK(per_side >= 1 && side % per_side == 0, ExitCode::kConfig,
            "SSA: a {}x{} window does not split into {}x{} sub-windows", side, side, per_side, per_side);
  const int64_t sub = side / per_side;
  // (side, side) -> (p, sub, p, sub) -> (p, p, sub, sub): sub-window (a, b) in raster order.
  const auto tiles = [&](const at::Tensor& grid) {
    return grid.view({per_side, sub, per_side, sub}).permute({0, 2, 1, 3}).reshape({per_side * per_side, sub * sub});
  };
  const auto identity = at::arange(side * side, at::kLong).view({side, side});
  const int64_t windows = per_side * per_side;
  return {sorted_sets(tiles(shuffled_grid(side, side, sigma, sigma)), windows), windows, tiles(identity)};
}

}  // namespace ssa::attn
