// Draws which sources (keys/values) each window of targets (queries) attends to. One draw per
// layer per step, shared by every head and every sequence of the batch (paper, Sec. 4).
// Owns its own random generator so its state can be checkpointed and seeded per rank.
#pragma once
#include <cstdint>

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>

#include "lib/ssa/ssa_config.h"

namespace ssa::attn {

// Targets [0, T) are split into `windows` windows of T / windows targets: contiguous unless
// `targets` lists them; window w attends to the sources sources[w] (original positions, ascending).
struct SourceSample {
  at::Tensor sources;    // (n_w, S) int64 on CPU
  int64_t windows = 1;   // n_w
  at::Tensor targets{};  // undefined (contiguous windows) or (n_w, T / n_w) int64, a permutation of [0, T)
};

class SourceSampler {
 public:
  explicit SourceSampler(uint64_t seed);

  // The sampler of config.variant's row (ssa_variants.h). sigma_fraction scales with T (or the
  // grid's sides; locally biased variants only).
  SourceSample sample(const SsaConfig& config, int64_t length, double sigma_fraction);

  // Causal, locally biased: window w draws W = T/n_w sources from [0, (w+1)W) by the W largest
  // of j + sigma * eps_j, eps ~ N(0, 1), fresh per window. sigma = 0 gives block-local attention.
  SourceSample causal_local(int64_t length, int64_t windows, double sigma);
  // Causal, uniform: as causal_local with sigma -> infinity.
  SourceSample causal_unbiased(int64_t length, int64_t windows);
  // Algorithm 1: the first ceil(keep_ratio * T) entries of a random permutation, for all targets.
  SourceSample unbiased(int64_t length, double keep_ratio);
  // Algorithm 2: argsort(j + sigma * eps_j), split into n_w windows of sources.
  SourceSample local(int64_t length, int64_t windows, double sigma);

  // 2D variants over a grid of `rows` x `row_length` tokens (source_sampler_grid.cpp). Each first
  // shuffles columns within every row, then rows within every column, both by localrandperm.
  // Causal: band w of rows (rows / n_w each) takes the last band of a grid shuffled over rows
  // [0, end of band), fresh per band. Non-causal: band w of one shuffled grid.
  SourceSample causal_grid(int64_t rows, int64_t row_length, int64_t windows, double sigma_rows, double sigma_cols);
  SourceSample local_grid(int64_t rows, int64_t row_length, int64_t windows, double sigma_rows, double sigma_cols);
  // A side x side Swin window split into per_side^2 sub-windows (raster order of sub-windows);
  // sub-window q attends to sub-window q of the shuffled window, so sources stay in the window.
  SourceSample swin_subwindows(int64_t side, int64_t per_side, double sigma);

  at::Tensor state() const;  // generator state, for checkpoints
  void set_state(const at::Tensor& state);
  // Restarts the generator from `seed`: evaluation seeds each ensemble member's draws this way.
  void reseed(uint64_t seed);
  // The generator itself, for samplers of other shapes (graph_sampling.h) that share its
  // checkpointed, per-rank state.
  at::Generator& generator() { return generator_; }

 private:
  SourceSample top_scores_per_window(const at::Tensor& scores, int64_t length, int64_t windows);
  // (rows, cols) original positions r * cols + c after the two localrandperm shuffles.
  at::Tensor shuffled_grid(int64_t rows, int64_t cols, double sigma_rows, double sigma_cols);
  at::Generator generator_;
};

// The dense "sample": one window whose sources are every position. Used as the oracle in tests
// and by dense mode.
SourceSample dense_sample(int64_t length);

}  // namespace ssa::attn
