// Resource settings against this machine: thread counts up to the usable cores pass and one more
// is refused naming the key; a model whose training state exceeds the available memory is refused.
#include "tests/support/catch.h"

#include <sched.h>

#include "lib/config/experiment_config.h"
#include "lib/core/cpu_threads.h"
#include "lib/core/error.h"
#include "lib/train/machine_limits.h"

using ssa::train::check_machine_limits;
using ssa::train::check_training_state_fits;

TEST_CASE("usable cores follow the CPU affinity mask", "[limits]") {
  cpu_set_t mask;
  CPU_ZERO(&mask);
  REQUIRE(sched_getaffinity(0, sizeof(mask), &mask) == 0);
  CHECK(ssa::usable_cores() == CPU_COUNT(&mask));
}

TEST_CASE("thread counts above the usable cores are refused naming the key", "[limits][config]") {
  ssa::config::ExperimentConfig config;
  const int cores = ssa::usable_cores();
  config.run.threads = cores;
  config.data.molecules.threads = 0;
  CHECK_NOTHROW(check_machine_limits(config));
  config.run.threads = cores + 1;
  CHECK_THROWS_WITH(check_machine_limits(config),
                    "run.threads: is " + std::to_string(cores + 1) + " but this process may use " +
                        std::to_string(cores) + " cores; use at most " + std::to_string(cores) + " (0 = all of them)");
  config.run.threads = 0;
  config.data.molecules.threads = 100000;
  CHECK_THROWS_WITH(check_machine_limits(config), Catch::StartsWith("data.molecules.threads: is 100000 "));
}

TEST_CASE("a model whose gradients and AdamW moments exceed the available memory is refused", "[limits]") {
  const int64_t gib = int64_t{1} << 30;
  CHECK(ssa::train::training_state_bytes(1000) == 12000);
  CHECK_NOTHROW(check_training_state_fits(1000, 12000));
  CHECK_NOTHROW(check_training_state_fits(int64_t{1} << 40, std::nullopt));  // unknown: not refused
  CHECK_THROWS_AS(check_training_state_fits(1001, 12000), ssa::ConfigError);
  CHECK_THROWS_WITH(check_training_state_fits(1'000'000'000, 4 * gib),
                    "model: 1000000000 parameters need 11.2 GiB more for gradients and AdamW moments, but only "
                    "4.0 GiB of memory is available; use a smaller model");
  const auto available = ssa::train::available_memory_bytes();
  REQUIRE(available.has_value());
  CHECK(*available > 0);
}
