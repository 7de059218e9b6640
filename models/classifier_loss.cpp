// Classification loss and predictions (see classifier_loss.h).
#include "models/classifier_loss.h"

#include <ATen/ATen.h>

namespace ssa::models {

at::Tensor class_log_probs(const at::Tensor& logits) { return at::log_softmax(logits.to(at::kFloat), -1); }

LossOutput classifier_loss(const at::Tensor& logits, const at::Tensor& target) {
  const auto log_probs = class_log_probs(logits);                   // (B, K)
  const auto sum = target.dim() == 2 ? -(target * log_probs).sum()  // soft labels
                                     : at::nll_loss(log_probs, target, {}, at::Reduction::Sum);
  return {sum, logits.size(0)};
}

}  // namespace ssa::models
