// run.deterministic: LibTorch's deterministic algorithms and cuDNN settings are switched on, and
// the cuBLAS and NCCL environment is set unless the user set it already.
#include "tests/support/catch.h"

#include <cstdlib>
#include <string>

#include <ATen/Context.h>

#include "lib/core/determinism.h"

TEST_CASE("deterministic kernels: LibTorch's switches on, cuBLAS/NCCL environment filled in, user values kept",
          "[determinism]") {
  auto& context = at::globalContext();
  ::unsetenv("CUBLAS_WORKSPACE_CONFIG");
  ::setenv("NCCL_ALGO", "Tree", 1);  // the user's choice stays
  ssa::use_deterministic_kernels(false);
  CHECK_FALSE(context.deterministicAlgorithms());
  CHECK(std::getenv("CUBLAS_WORKSPACE_CONFIG") == nullptr);

  ssa::use_deterministic_kernels(true);
  CHECK(context.deterministicAlgorithms());
  CHECK(context.deterministicCuDNN());
  CHECK_FALSE(context.benchmarkCuDNN());
  CHECK(std::string(std::getenv("CUBLAS_WORKSPACE_CONFIG")) == ":4096:8");
  CHECK(std::string(std::getenv("NCCL_ALGO")) == "Tree");

  context.setDeterministicAlgorithms(false, false);  // this process's other tests run without
  context.setDeterministicCuDNN(false);
  ::unsetenv("NCCL_ALGO");
  ::unsetenv("CUBLAS_WORKSPACE_CONFIG");
}
