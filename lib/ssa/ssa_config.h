// What SSA does in one model: which variant, how many windows, which layers, and the noise
// schedule. 2D variants scale sigma by the grid's height (vertical) and width (horizontal).
// Plain data with the defaults; no YAML here (lib/config reads it).
#pragma once
#include <cmath>
#include <cstdint>

namespace ssa::attn {

// How each SSA layer picks the sources (keys/values) of its targets (queries). Each has a row in
// ssa_variants.cpp: its name, causality, sequence shape and sampler.
enum class SsaVariant {
  kCausalLocal,     // causal, locally biased: per target window, W sources from [0, end of window)
  kCausalUnbiased,  // causal, uniform: per target window, W sources uniformly from [0, end of window)
  kUnbiased,        // non-causal, Algorithm 1: the same ceil(keep_ratio*N) sources for every target
  kLocal,           // non-causal, Algorithm 2: localrandperm split into `windows` windows
  // 2D, for sequences that are a grid of rows of `row_length` tokens (images, raster order):
  kCausalGrid,     // image generation: band w of rows attends to a 2D-shuffled set from rows [0, end of band)
  kLocalGrid,      // non-causal: the 2D-shuffled grid split into `windows` bands of rows
  kSwinSubwindow,  // a square Swin window split into windows = p*p sub-windows, shuffled within the window
};

// Whether SSA layers subsample (training) or attend densely (+FT phase, default evaluation).
enum class AttentionMode { kSubsampled, kDense };

// The config spelling of an attention mode ("ssa", "dense"), also for the log.
constexpr const char* attention_mode_name(AttentionMode mode) {
  return mode == AttentionMode::kDense ? "dense" : "ssa";
}

struct SsaConfig {
  SsaVariant variant = SsaVariant::kCausalLocal;
  int64_t windows = 4;       // n_w, the "L" of S16-L4: each target sees 1/n_w of the sources
  double keep_ratio = 0.5;   // kUnbiased only: fraction of sources kept ("U20" keeps 0.8)
  int64_t layers = -1;       // SSA in the last `layers` layers ("S12"); -1 means every layer
  double sigma_first = 0.1;  // noise std / sequence length in the first SSA layer
  double sigma_last = 0.25;  // ... in the last layer; linear in between
  int64_t row_length = 0;    // 2D variants: tokens per grid row; 0 = a square grid (sqrt(T))
};

// The integer square root of n, or -1 when n is not a perfect square.
inline int64_t exact_sqrt(int64_t n) {
  const auto r = static_cast<int64_t>(std::llround(std::sqrt(static_cast<double>(n))));
  return r * r == n ? r : -1;
}

// 2D variants: tokens per grid row (config.row_length, or sqrt(T) when 0), or -1 when `length`
// is not a whole number of such rows. The one rule shared by the sampler and config validation.
inline int64_t grid_row_length(const SsaConfig& config, int64_t length) {
  const int64_t row = config.row_length > 0 ? config.row_length : exact_sqrt(length);
  return row > 0 && length % row == 0 ? row : -1;
}

}  // namespace ssa::attn
