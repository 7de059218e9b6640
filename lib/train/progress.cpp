// Progress reporting (see progress.h).
#include "lib/train/progress.h"

#include <unistd.h>

#include <cstdio>

#include <spdlog/spdlog.h>

namespace ssa::train {

Progress::Progress(int64_t total_steps, int64_t log_every, bool live_allowed)
    : total_(total_steps), every_(log_every), live_(live_allowed && ::isatty(STDERR_FILENO) != 0) {}

void Progress::step(int64_t step, const std::string& phase, double loss, double lr, double targets_per_s) {
  if (live_) {
    std::fprintf(stderr, "\r\033[Kstep %lld/%lld [%s] loss %.4f lr %.2e %.0f targets/s", static_cast<long long>(step),
                 static_cast<long long>(total_), phase.c_str(), loss, lr, targets_per_s);
    std::fflush(stderr);
    line_open_ = true;
  } else if (step % every_ == 0 || step == total_) {
    spdlog::info("step {}/{} [{}] loss {:.4f} lr {:.2e} {:.0f} targets/s", step, total_, phase, loss, lr, targets_per_s);
  }
}

void Progress::clear_live() {
  if (!line_open_) return;
  std::fprintf(stderr, "\r\033[K");
  line_open_ = false;
}

void Progress::note(const std::string& message) {
  clear_live();
  spdlog::info("{}", message);
}

}  // namespace ssa::train
