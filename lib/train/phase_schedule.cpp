// Phase boundaries in steps (see phase_schedule.h).
#include "lib/train/phase_schedule.h"

#include <cmath>

namespace ssa::train {

PhaseSchedule::PhaseSchedule(std::vector<PhaseConfig> phases, int64_t total_steps) : phases_(std::move(phases)) {
  double cumulative = 0;
  for (size_t i = 0; i < phases_.size(); ++i) {
    cumulative += phases_[i].fraction;
    const bool last = i + 1 == phases_.size();
    ends_.push_back(last ? total_steps
                         : static_cast<int64_t>(std::llround(cumulative * static_cast<double>(total_steps))));
  }
}

size_t PhaseSchedule::index_at(int64_t step) const {
  for (size_t i = 0; i < ends_.size(); ++i) {
    if (step < ends_[i]) return i;
  }
  return ends_.size() - 1;
}

std::string PhaseSchedule::describe() const {
  std::string out;
  for (size_t i = 0; i < phases_.size(); ++i) {
    const int64_t begin = i == 0 ? 0 : ends_[i - 1];
    out += (i == 0 ? "" : ", ") + phases_[i].name + " [" + std::to_string(begin) + ", " + std::to_string(ends_[i]) + ")";
  }
  return out;
}

}  // namespace ssa::train
