// Named points of a training step where something besides the algorithm may act: the trainer
// calls them at those points and nothing else. The base class does nothing; fault injection
// (SSA_FAULT, tests only) arms them, so the step itself holds no test branches.
#pragma once
#include <cstdint>
#include <memory>

#include <ATen/core/Tensor.h>

#include "lib/train/fault_injection.h"
#include "models/model.h"

namespace ssa::train {

class StepHooks {
 public:
  virtual ~StepHooks() = default;
  // The summed loss of a micro-batch of (1-based) `step`, before it is scaled and backpropagated.
  virtual at::Tensor micro_batch_loss(const at::Tensor& loss_sum, int64_t /*step*/) { return loss_sum; }
  // Just before the last micro-batch's backward of `step`.
  virtual void before_last_backward(models::Model& /*model*/, int64_t /*step*/) {}
  // After every backward of `step`, before the gradients are averaged over ranks.
  virtual void after_backward(int64_t /*step*/) {}
  // After the optimizer update that completed `step`.
  virtual void after_update(models::Model& /*model*/, int64_t /*step*/) {}
};

// The hooks that carry out the faults armed for `rank` (nan_loss, nan_grad, kill, diverge), or
// the no-op base when none of those is armed.
std::unique_ptr<StepHooks> make_step_hooks(const FaultInjection& faults, int rank);

}  // namespace ssa::train
