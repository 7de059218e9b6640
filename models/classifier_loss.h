// The loss and predictions of the image classifiers (Swin, ViT): log-softmax over the classes in
// fp32, summed NLL against class ids or soft labels (mixup, cutmix, label smoothing).
#pragma once
#include <ATen/core/Tensor.h>

#include "models/model.h"

namespace ssa::models {

// logits (B, K); target (B) int64 class ids or (B, K) float soft labels -> the summed loss over B images.
LossOutput classifier_loss(const at::Tensor& logits, const at::Tensor& target);

// logits (B, K) -> (B, K) float32 log-probabilities.
at::Tensor class_log_probs(const at::Tensor& logits);

}  // namespace ssa::models
