// Machine-dependent bounds on resource settings (see machine_limits.h).
#include "lib/train/machine_limits.h"

#include <fstream>
#include <string>

#include <fmt/format.h>

#include "lib/core/cpu_threads.h"
#include "lib/core/error.h"

namespace ssa::train {
namespace {

// More threads than cores only oversubscribes them (and 10^5 threads take minutes to start and
// gigabytes of stacks); clamping instead would change a run's results silently.
void check_threads(const char* key, int64_t threads, int cores) {
  if (threads <= cores) return;
  throw ConfigError(fmt::format("{}: is {} but this process may use {} cores; use at most {} (0 = all of them)", key,
                                threads, cores, cores));
}

}  // namespace

void check_machine_limits(const config::ExperimentConfig& config) {
  const int cores = usable_cores();
  check_threads("run.threads", config.run.threads, cores);
  check_threads("data.molecules.threads", config.data.molecules.threads, cores);
}

std::optional<int64_t> available_memory_bytes() {
  std::ifstream meminfo("/proc/meminfo");
  std::string key, unit;
  int64_t kib = 0;
  while (meminfo >> key >> kib >> unit) {
    if (key == "MemAvailable:") return kib * 1024;
  }
  return std::nullopt;
}

void check_training_state_fits(int64_t parameters, std::optional<int64_t> available) {
  const int64_t needed = training_state_bytes(parameters);
  if (!available || needed <= *available) return;
  const double gib = 1024.0 * 1024.0 * 1024.0;
  throw ConfigError(
      fmt::format("model: {} parameters need {:.1f} GiB more for gradients and AdamW moments, but "
                  "only {:.1f} GiB of memory is available; use a smaller model",
                  parameters, static_cast<double>(needed) / gib, static_cast<double>(*available) / gib));
}

}  // namespace ssa::train
