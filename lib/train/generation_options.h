// How `ssa-train sample` draws tokens: temperature, top-k and seed (the one place of their defaults).
#pragma once
#include <cstdint>

namespace ssa::train {

struct GenerationOptions {
  double temperature = 1.0;  // 0 = greedy (argmax)
  int64_t top_k = 0;         // draw among the k most likely tokens; 0 = all
  uint64_t seed = 1;
};

}  // namespace ssa::train
