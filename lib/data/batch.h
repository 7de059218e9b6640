// A batch of next-token prediction: the shared currency of data, models and the trainer.
#pragma once
#include <ATen/core/Tensor.h>

namespace ssa::data {

struct Batch {
  at::Tensor input;   // (B, T) int64
  at::Tensor target;  // (B, T) int64, input shifted left by one token
};

}  // namespace ssa::data
