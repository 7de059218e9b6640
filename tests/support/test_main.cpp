// Catch2 main for every test binary. Pins LibTorch and OpenBLAS to one thread so results are
// bitwise reproducible from run to run.
#define CATCH_CONFIG_RUNNER  // v2: this file defines main
#include "tests/support/catch.h"

#include "lib/core/cpu_threads.h"

int main(int argc, char** argv) {
  ssa::set_cpu_threads(1);
  return Catch::Session().run(argc, argv);
}
