// The phases of a run in step terms, e.g. SSA for the first 90% then dense fine-tune (+FT).
// Phase i covers steps [begin(i), end(i)); the boundaries are rounded once, here.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "lib/config/train_config.h"

namespace ssa::train {

class PhaseSchedule {
 public:
  PhaseSchedule(std::vector<PhaseConfig> phases, int64_t total_steps);

  // Index of the phase that the 0-based step `step` belongs to.
  size_t index_at(int64_t step) const;
  const PhaseConfig& phase(size_t index) const { return phases_[index]; }
  int64_t end(size_t index) const { return ends_[index]; }
  size_t size() const { return phases_.size(); }
  // The phases in steps, e.g. "ssa [0, 30), finetune [30, 40)".
  std::string describe() const;

 private:
  std::vector<PhaseConfig> phases_;
  std::vector<int64_t> ends_;
};

}  // namespace ssa::train
