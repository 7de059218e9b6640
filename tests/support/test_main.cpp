// Catch2 main for every test binary. Pins LibTorch to one thread so results are bitwise
// reproducible from run to run.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <ATen/Parallel.h>

int main(int argc, char** argv) {
  at::set_num_threads(1);
  return Catch::Session().run(argc, argv);
}
