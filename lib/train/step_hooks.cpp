// The step hooks of SSA_FAULT (see step_hooks.h and fault_injection.h).
#include "lib/train/step_hooks.h"

#include <csignal>
#include <cmath>

#include <torch/torch.h>

namespace ssa::train {
namespace {

class FaultHooks final : public StepHooks {
 public:
  FaultHooks(const FaultInjection& faults, int rank) : faults_(faults), rank_(rank) {}

  // nan_loss: the step's loss becomes NaN (every micro-batch, so the reduced loss is NaN).
  at::Tensor micro_batch_loss(const at::Tensor& loss_sum, int64_t step) override {
    return faults_.fires("nan_loss", step, rank_) ? loss_sum * std::nan("") : loss_sum;
  }

  // nan_grad: poisons the first parameter's gradient before the last backward, so the NaN travels
  // the same way (gradient hooks or not) as one that backward produced.
  void before_last_backward(models::Model& model, int64_t step) override {
    if (!faults_.fires("nan_grad", step, rank_)) return;
    auto p = model.parameters().front();
    torch::NoGradGuard no_grad;
    if (!p.grad().defined()) p.mutable_grad() = at::zeros_like(p);
    p.mutable_grad().view(-1)[0] = std::nan("");
  }

  // kill: a kill -9 in the middle of the step, after its backward and before the all-reduce.
  void after_backward(int64_t step) override {
    if (faults_.fires("kill", step, rank_)) std::raise(SIGKILL);
  }

  // diverge: a replica that silently differs, as a hardware fault or a bug would leave it.
  void after_update(models::Model& model, int64_t step) override {
    if (!faults_.fires("diverge", step, rank_)) return;
    torch::NoGradGuard no_grad;
    model.parameters().front().view(-1)[0].add_(1e-3);
  }

 private:
  FaultInjection faults_;
  int rank_;
};

}  // namespace

std::unique_ptr<StepHooks> make_step_hooks(const FaultInjection& faults, int rank) {
  if (!faults.armed({"nan_loss", "nan_grad", "kill", "diverge"})) return std::make_unique<StepHooks>();
  return std::make_unique<FaultHooks>(faults, rank);
}

}  // namespace ssa::train
