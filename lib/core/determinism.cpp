// Deterministic kernels (see determinism.h).
#include "lib/core/determinism.h"

#include <cstdlib>

#include <ATen/Context.h>

namespace ssa {

void use_deterministic_kernels(bool deterministic) {
  if (!deterministic) return;
  ::setenv("CUBLAS_WORKSPACE_CONFIG", ":4096:8", /*overwrite=*/0);  // cuBLAS reductions in a fixed order
  ::setenv("NCCL_ALGO", "Ring", /*overwrite=*/0);                   // one reduction order for all-reduce
  auto& context = at::globalContext();
  context.setBenchmarkCuDNN(false);
  context.setDeterministicCuDNN(true);
  context.setDeterministicAlgorithms(true, /*warn_only=*/false);
}

}  // namespace ssa
