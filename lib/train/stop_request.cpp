// Signal handlers and the time budget behind StopRequest (see stop_request.h).
#include "lib/train/stop_request.h"

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdlib>
#include <optional>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "lib/core/error.h"
#include "lib/dist/slurm_time_limit.h"

namespace ssa::train {
namespace {

volatile std::sig_atomic_t g_signal = 0;  // the first stop signal received, 0 if none
std::atomic<bool> g_training_started{false};
std::atomic<bool> g_watchdog_running{false};

extern "C" void on_stop_signal(int signal) { g_signal = signal; }

void install(int signal) {
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESETHAND;  // a second signal takes the default action: stop now
  sigaction(signal, &action, nullptr);
}

const char* signal_name(int signal) {
  switch (signal) {
    case SIGTERM: return "SIGTERM";
    case SIGUSR1: return "SIGUSR1";
    case SIGINT: return "SIGINT";
    default: return "a signal";
  }
}

// Polls every 0.1 s until training starts; ends the process if a stop signal waits too long.
void watch_startup() {
  using Clock = std::chrono::steady_clock;
  std::optional<Clock::time_point> signalled;
  while (!g_training_started.load()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (g_signal == 0) continue;
    if (!signalled) signalled = Clock::now();
    if (std::chrono::duration<double>(Clock::now() - *signalled).count() < kStartupStopGraceSeconds) continue;
    if (g_training_started.load()) return;
    spdlog::error(
        "stopped during start-up ({}): training had not begun {:.0f} s after the signal; nothing was "
        "trained since the last checkpoint",
        signal_name(g_signal), kStartupStopGraceSeconds);
    spdlog::shutdown();
    std::_Exit(static_cast<int>(ExitCode::kStopped));
  }
}

}  // namespace

TimeLimit time_limit_of(const RunConfig& run) {
  TimeLimit limit{run.time_limit_s, fmt::format("time limit (run.time_limit_s = {:.0f})", run.time_limit_s)};
  if (!run.slurm_time_limit) return limit;
  const auto left = dist::slurm_seconds_left();
  if (!left) return limit;
  const double budget = std::max(*left - run.slurm_margin_s, 1.0);
  spdlog::info("SLURM job ends in {:.0f} s; stopping with a checkpoint {:.0f} s before (run.slurm_margin_s)", *left,
               run.slurm_margin_s);
  if (limit.seconds <= 0 || budget < limit.seconds) {
    limit = {budget,
             fmt::format("SLURM time limit in {:.0f} s (run.slurm_margin_s = {:.0f})", *left, run.slurm_margin_s)};
  }
  return limit;
}

void install_stop_handlers() {
  if (g_signal != 0) return;  // one came already: its handler is reset, so a second one ends the process
  for (const int s : {SIGTERM, SIGUSR1, SIGINT}) install(s);
  if (!g_training_started.load() && !g_watchdog_running.exchange(true)) std::thread(watch_startup).detach();
}

StopRequest::StopRequest(TimeLimit limit)
    : start_(std::chrono::steady_clock::now()), last_call_(start_), limit_(std::move(limit)) {
  install_stop_handlers();
}

void training_begins() { g_training_started.store(true); }

std::string StopRequest::reason() {
  if (g_signal != 0) return signal_name(g_signal);
  const auto now = std::chrono::steady_clock::now();
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const double last_step = std::chrono::duration<double>(now - last_call_).count();
  last_call_ = now;
  if (limit_.seconds > 0 && elapsed + last_step >= limit_.seconds) return limit_.source;
  return "";
}

}  // namespace ssa::train
