// set_cpu_threads reaches OpenBLAS's pool as well as LibTorch's (Debian's LibTorch multiplies
// matrices in OpenBLAS, whose pool at::set_num_threads leaves at one thread per core).
#include "tests/support/catch.h"

#include <ATen/Parallel.h>

#include "lib/core/cpu_threads.h"

TEST_CASE("set_cpu_threads sizes both LibTorch's and OpenBLAS's thread pools", "[threads]") {
  ssa::set_cpu_threads(2);
  CHECK(at::get_num_threads() == 2);
  const auto blas = ssa::openblas_threads();
  if (blas) CHECK(*blas == 2);
  ssa::set_cpu_threads(1);  // test_main's setting, restored
  CHECK(at::get_num_threads() == 1);
  if (blas) {
    CHECK(*ssa::openblas_threads() == 1);
  } else {
    WARN("this LibTorch does not use OpenBLAS; only at::set_num_threads was checked");
  }
}

// scripts/install-deps.sh selects libopenblas0-openmp: with libopenblas0-pthread the two pools
// oversubscribe the cores (cpu_threads.h; measured 1.3-8.6x slower steps in docs/benchmarks.md).
TEST_CASE("OpenBLAS, when loaded, shares LibTorch's OpenMP pool", "[threads]") {
  const auto threading = ssa::openblas_threading();
  if (!threading) {
    WARN("this LibTorch does not use OpenBLAS");
    return;
  }
  CHECK(*threading == ssa::BlasThreading::kOpenMp);
}
