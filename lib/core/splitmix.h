// A small, portable random source for data order: SplitMix64 and a Fisher-Yates shuffle built
// on it, so the sample order is identical on every platform and standard library.
#pragma once
#include <cstdint>
#include <vector>

namespace ssa {

class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}
  uint64_t next();
  // Uniform in [0, bound), bound > 0 (rejection sampling: no modulo bias).
  uint64_t below(uint64_t bound);
  // Uniform double in [0, 1) from the top 53 bits.
  double uniform();

 private:
  uint64_t state_;
};

// A permutation of [0, n) that depends only on `seed`.
std::vector<int64_t> seeded_permutation(int64_t n, uint64_t seed);

// Mixes several integers into one seed (order matters).
uint64_t mix_seed(uint64_t a, uint64_t b);

}  // namespace ssa
