// Graceful stop: SIGTERM, SIGUSR1 or SIGINT (SLURM's --signal, preemption, Ctrl-C) or the
// run.time_limit_s budget ask the trainer to stop. The trainer polls once per step, agrees with
// every rank on the decision, saves a checkpoint and exits with ExitCode::kStopped (143).
// A second signal of the same kind ends the process at once (the handler resets itself).
#pragma once
#include <chrono>
#include <string>

namespace ssa::train {

class StopRequest {
 public:
  // Installs the signal handlers; time_limit_s <= 0 means no time limit.
  explicit StopRequest(double time_limit_s);

  // "" when no stop is requested on this process, else why ("SIGTERM", "time limit 600 s").
  std::string reason() const;

 private:
  std::chrono::steady_clock::time_point start_;
  double time_limit_s_;
};

}  // namespace ssa::train
