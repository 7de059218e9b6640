// Source sampling for every SSA variant (see source_sampler.h).
#include "lib/ssa/source_sampler.h"

#include <cmath>
#include <limits>
#include <mutex>

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include "lib/core/error.h"
#include "lib/ssa/ssa_variants.h"

namespace ssa::attn {

SourceSampler::SourceSampler(uint64_t seed) : generator_(at::detail::createCPUGenerator(seed)) {}

SourceSample SourceSampler::sample(const SsaConfig& config, int64_t length, double sigma_fraction) {
  return variant_row(config.variant).sample(*this, config, length, sigma_fraction);
}

// scores: (n_w, T). Keeps, per window w, the W highest-scoring positions below (w+1)W.
SourceSample SourceSampler::top_scores_per_window(const at::Tensor& scores, int64_t length, int64_t windows) {
  SSA_CHECK(windows >= 1 && length % windows == 0, ExitCode::kConfig,
            "SSA: sequence length {} is not a multiple of {} windows", length, windows);
  const int64_t w = length / windows;
  const auto positions = at::arange(length, at::kLong);                   // (T)
  const auto window_end = (at::arange(windows, at::kLong) + 1).mul(w);    // (n_w)
  const auto beyond = positions.unsqueeze(0) >= window_end.unsqueeze(1);  // (n_w, T)
  const auto masked = scores.masked_fill(beyond, -std::numeric_limits<double>::infinity());
  auto chosen = std::get<1>(masked.topk(w, /*dim=*/-1, /*largest=*/true, /*sorted=*/false));
  return {std::get<0>(chosen.sort(-1)), windows};  // (n_w, W)
}

SourceSample SourceSampler::causal_local(int64_t length, int64_t windows, double sigma) {
  const auto positions = at::arange(length, at::kDouble);
  const auto noise = at::randn({windows, length}, generator_, at::kDouble);  // (n_w, T)
  return top_scores_per_window(positions.unsqueeze(0) + noise.mul(sigma), length, windows);
}

SourceSample SourceSampler::causal_unbiased(int64_t length, int64_t windows) {
  return top_scores_per_window(at::rand({windows, length}, generator_, at::kDouble), length, windows);
}

SourceSample SourceSampler::unbiased(int64_t length, double keep_ratio) {
  const auto keep = std::max<int64_t>(1, static_cast<int64_t>(std::ceil(keep_ratio * length - 1e-9)));
  const auto perm = at::randperm(length, generator_, at::kLong);
  return {std::get<0>(perm.slice(0, 0, keep).sort()).unsqueeze(0), 1};  // (1, k)
}

SourceSample SourceSampler::local(int64_t length, int64_t windows, double sigma) {
  SSA_CHECK(windows >= 1 && length % windows == 0, ExitCode::kConfig,
            "SSA: sequence length {} is not a multiple of {} windows", length, windows);
  const auto noisy = at::arange(length, at::kDouble) + at::randn({length}, generator_, at::kDouble).mul(sigma);
  const auto perm = noisy.argsort();  // localrandperm
  return {std::get<0>(perm.view({windows, length / windows}).sort(-1)), windows};
}

at::Tensor SourceSampler::state() const { return generator_.get_state(); }

void SourceSampler::set_state(const at::Tensor& state) { generator_.set_state(state); }

void SourceSampler::reseed(uint64_t seed) {
  std::lock_guard<std::mutex> lock(generator_.mutex());
  generator_.set_current_seed(seed);
}

SourceSample dense_sample(int64_t length) { return {at::arange(length, at::kLong).unsqueeze(0), 1}; }

}  // namespace ssa::attn
