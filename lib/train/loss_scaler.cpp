// Dynamic loss scaling (see loss_scaler.h).
#include "lib/train/loss_scaler.h"

#include <ATen/ATen.h>
#include <torch/csrc/autograd/grad_mode.h>

namespace ssa::train {

LossScaler::LossScaler(const LossScaleConfig& config, bool enabled) : config_(config), enabled_(enabled) {}

bool LossScaler::unscale_gradients(const std::vector<at::Tensor>& parameters, const LossScaleState& state) const {
  torch::NoGradGuard no_grad;
  std::vector<at::Tensor> all_finite;  // one flag per gradient, read back with a single sync
  for (const auto& p : parameters) {
    if (!p.grad().defined()) continue;
    p.grad().div_(state.scale);
    all_finite.push_back(at::isfinite(p.grad()).all());
  }
  return all_finite.empty() || at::stack(all_finite).all().item<bool>();
}

void LossScaler::update(LossScaleState& state, bool finite) const {
  if (!finite) {
    state.scale *= config_.backoff_factor;
    state.good_steps = 0;
    return;
  }
  if (++state.good_steps >= config_.growth_interval) {
    state.scale *= config_.growth_factor;
    state.good_steps = 0;
  }
}

}  // namespace ssa::train
