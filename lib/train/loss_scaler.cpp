// Dynamic loss scaling (see loss_scaler.h).
#include "lib/train/loss_scaler.h"

#include <ATen/ATen.h>
#include <torch/csrc/autograd/grad_mode.h>

namespace ssa::train {

LossScaler::LossScaler(const LossScaleConfig& config, bool enabled) : config_(config), enabled_(enabled) {}

bool LossScaler::unscale_gradients(const std::vector<at::Tensor>& parameters, const LossScaleState& state) const {
  torch::NoGradGuard no_grad;
  bool finite = true;
  for (const auto& p : parameters) {
    if (!p.grad().defined()) continue;
    p.grad().div_(state.scale);
    finite = finite && at::isfinite(p.grad()).all().item<bool>();
  }
  return finite;
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
