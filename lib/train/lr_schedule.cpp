// Warmup + decay learning-rate schedule (see lr_schedule.h).
#include "lib/train/lr_schedule.h"

#include <algorithm>
#include <cmath>

namespace ssa::train {

double learning_rate(const LrScheduleConfig& s, double peak_lr, int64_t step, int64_t total) {
  if (step < s.warmup_steps) {
    return peak_lr * static_cast<double>(step + 1) / static_cast<double>(s.warmup_steps);
  }
  const int64_t decay_steps = std::max<int64_t>(1, total - s.warmup_steps - 1);
  const double progress = std::min(1.0, static_cast<double>(step - s.warmup_steps) / decay_steps);
  switch (s.decay) {
    case DecayShape::kCosine: return s.min_lr + (peak_lr - s.min_lr) * 0.5 * (1.0 + std::cos(M_PI * progress));
    case DecayShape::kLinear: return peak_lr + (s.min_lr - peak_lr) * progress;
    case DecayShape::kConstant: return peak_lr;
  }
  return peak_lr;
}

}  // namespace ssa::train
