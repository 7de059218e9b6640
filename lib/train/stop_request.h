// Graceful stop: SIGTERM, SIGUSR1 or SIGINT (SLURM's --signal, preemption, Ctrl-C) or the
// time budget (run.time_limit_s, SLURM's limit) ask the trainer to stop. The trainer polls once per step, agrees with
// every rank on the decision, saves a checkpoint and exits with ExitCode::kStopped (143).
// A second signal of the same kind ends the process at once (the handler resets itself).
#pragma once
#include <chrono>
#include <string>

#include "lib/config/train_config.h"

namespace ssa::train {

// The budget a run stops at: run.time_limit_s, or the SLURM job's end minus run.slurm_margin_s
// when that comes first (lib/dist/slurm_time_limit.h). seconds <= 0: no limit.
struct TimeLimit {
  double seconds = 0;
  std::string source;  // names the key or "SLURM time limit", for the stop message
};
TimeLimit time_limit_of(const RunConfig& run);

// Installs the handlers of SIGTERM, SIGUSR1 and SIGINT. Called first thing by `train`, so that a
// signal during the data load or the rendezvous is a stop request too (after the first step),
// not the default action: death, and no requeue. StopRequest installs them as well.
// It also starts the start-up watchdog: when a stop signal came and training has not reached its
// first step kStartupStopGraceSeconds later (a long data load, a rendezvous waiting for ranks),
// the process ends with ExitCode::kStopped and one line. Nothing was trained since the last
// checkpoint, so nothing is lost; training_begins() disarms it.
void install_stop_handlers();
// Step 1 begins: from now on a stop signal ends the run at the end of a step, with a checkpoint.
void training_begins();
inline constexpr double kStartupStopGraceSeconds = 10;

class StopRequest {
 public:
  // Installs the signal handlers; limit.seconds <= 0 means no time limit.
  explicit StopRequest(TimeLimit limit);

  // Called once per step: "" when no stop is requested on this process, else why ("SIGTERM",
  // "time limit ..."). The time limit stops the run when the time left is less than the last step
  // took (the time since the previous call), so that the next step does not pass the limit.
  std::string reason();

 private:
  std::chrono::steady_clock::time_point start_, last_call_;
  TimeLimit limit_;
};

}  // namespace ssa::train
