// Dynamic loss scaling for fp16 training (as torch.cuda.amp.GradScaler): the loss is multiplied by
// `scale` before backward; after the gradient all-reduce the gradients are divided by it again.
// If any gradient is then non-finite the step is skipped and the scale backs off; after
// growth_interval good steps in a row it grows. Gradients are already averaged over ranks, so
// every rank makes the same decision. Works on any device (tested on CPU); the state lives in
// TrainState so checkpoints carry it.
#pragma once
#include <cstdint>
#include <vector>

#include <ATen/core/Tensor.h>

#include "lib/config/train_config.h"
#include "lib/train/train_state.h"

namespace ssa::train {

class LossScaler {
 public:
  LossScaler(const LossScaleConfig& config, bool enabled);

  bool enabled() const { return enabled_; }
  // The scale at the start of a run (TrainState::loss_scale before any checkpoint).
  double initial_scale() const { return enabled_ ? config_.init : 1.0; }

  // Divides every gradient by state.scale; true if all of them are finite afterwards.
  bool unscale_gradients(const std::vector<at::Tensor>& parameters, const LossScaleState& state) const;

  // Backs off after an overflow, grows after growth_interval finite steps in a row.
  void update(LossScaleState& state, bool finite) const;

 private:
  LossScaleConfig config_;
  bool enabled_;
};

}  // namespace ssa::train
