// ALiBi slopes and bias (see alibi.h).
#include "lib/nn/alibi.h"

#include <cmath>
#include <limits>

#include <ATen/ATen.h>

namespace ssa::nn {
namespace {

std::vector<double> power_of_two_slopes(int64_t n) {
  const double start = std::pow(2.0, -8.0 / static_cast<double>(n));
  std::vector<double> slopes;
  for (int64_t h = 1; h <= n; ++h) slopes.push_back(std::pow(start, static_cast<double>(h)));
  return slopes;
}

}  // namespace

std::vector<double> alibi_slopes(int64_t heads) {
  int64_t p = 1;
  while (p * 2 <= heads) p *= 2;
  std::vector<double> slopes = power_of_two_slopes(p);
  if (p == heads) return slopes;
  const std::vector<double> doubled = alibi_slopes(2 * p);
  for (int64_t i = 0; static_cast<int64_t>(slopes.size()) < heads; i += 2) {
    slopes.push_back(doubled[static_cast<size_t>(i)]);
  }
  return slopes;
}

at::Tensor alibi_bias(const at::Tensor& slopes, const at::Tensor& target_pos, const at::Tensor& source_pos, bool causal) {
  const auto rel = target_pos.unsqueeze(-1) - source_pos.unsqueeze(-2);  // (G, Tq, S) = i - j
  const auto distance = causal ? rel : rel.abs();
  const auto m = slopes.view({-1, 1, 1, 1});                        // (H, 1, 1, 1)
  auto bias = -m * distance.unsqueeze(0).to(slopes.scalar_type());  // (H, G, Tq, S)
  if (causal) {
    bias = bias.masked_fill((rel < 0).unsqueeze(0), -std::numeric_limits<float>::infinity());
  }
  return bias;
}

}  // namespace ssa::nn
