// The plain-data progress of a run that a checkpoint must carry besides model and optimizer.
#pragma once
#include <cstdint>
#include <limits>

#include "lib/data/chunk_sampler.h"

namespace ssa::train {

struct LossScaleState {
  double scale = 1;        // current loss scale (1 when loss scaling is off)
  int64_t good_steps = 0;  // finite steps since the last change
};

// Steps that applied no update. The budgets train.max_nonfinite_skips (in a row) and
// train.max_nonfinite_skips_total (whole run, resumes included) bound the non-finite ones.
struct SkipCounts {
  int64_t steps = 0;               // all causes: loss-scale overflows and non-finite skips
  int64_t nonfinite = 0;           // non-finite loss or gradient, without loss scaling
  int64_t nonfinite_in_a_row = 0;  // of those, since the last good step
};

struct TrainState {
  int64_t step = 0;          // optimizer steps completed
  int64_t targets = 0;       // training targets consumed (tokens, sub-pixels, images, graphs), all ranks
  data::OrderPosition data;  // where the training order continues
  double best_valid_loss = std::numeric_limits<double>::infinity();
  LossScaleState loss_scale;
  SkipCounts skips;
};

}  // namespace ssa::train
