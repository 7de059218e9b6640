// What a person watching sees: a live, overwritten progress line on a terminal, plain log lines
// every log.every steps otherwise (no carriage returns in files or pipes).
#pragma once
#include <cstdint>
#include <string>

namespace ssa::train {

class Progress {
 public:
  Progress(int64_t total_steps, int64_t log_every, bool live_allowed);
  void step(int64_t step, const std::string& phase, double loss, double lr, double targets_per_s);
  void note(const std::string& message);  // a line that must stay visible (eval, checkpoint)

 private:
  void clear_live();
  int64_t total_, every_;
  bool live_;
  bool line_open_ = false;
};

}  // namespace ssa::train
