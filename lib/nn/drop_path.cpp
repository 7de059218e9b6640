// Stochastic depth (see drop_path.h).
#include "lib/nn/drop_path.h"

#include <vector>

#include <ATen/ATen.h>

namespace ssa::nn {

at::Tensor drop_path(const at::Tensor& x, double p, bool training) {
  if (!training || p <= 0) return x;
  std::vector<int64_t> per_sample(static_cast<size_t>(x.dim()), 1);
  per_sample[0] = x.size(0);
  const auto keep = at::empty(per_sample, x.options()).bernoulli_(1.0 - p);  // (B, 1, ...)
  return x * keep / (1.0 - p);
}

double drop_path_rate(double max_rate, int64_t block, int64_t blocks) {
  return blocks > 1 ? max_rate * static_cast<double>(block) / static_cast<double>(blocks - 1) : 0.0;
}

}  // namespace ssa::nn
