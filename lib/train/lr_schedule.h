// Learning rate at each step: linear warmup from 0 to the peak, then cosine, linear or constant
// decay that reaches min_lr at the last step.
#pragma once
#include <cstdint>

#include "lib/config/train_config.h"

namespace ssa::train {

// `step` is the 0-based index of the optimizer step about to run; `total` is train.steps.
double learning_rate(const LrScheduleConfig& schedule, double peak_lr, int64_t step, int64_t total);

}  // namespace ssa::train
