// Signal handlers and the time budget behind StopRequest (see stop_request.h).
#include "lib/train/stop_request.h"

#include <csignal>

namespace ssa::train {
namespace {

volatile std::sig_atomic_t g_signal = 0;  // the first stop signal received, 0 if none

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

}  // namespace

StopRequest::StopRequest(double time_limit_s)
    : start_(std::chrono::steady_clock::now()), time_limit_s_(time_limit_s) {
  for (const int s : {SIGTERM, SIGUSR1, SIGINT}) install(s);
}

std::string StopRequest::reason() const {
  if (g_signal != 0) return signal_name(g_signal);
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  if (time_limit_s_ > 0 && elapsed >= time_limit_s_) {
    return "time limit (run.time_limit_s = " + std::to_string(static_cast<int64_t>(time_limit_s_)) + ")";
  }
  return "";
}

}  // namespace ssa::train
