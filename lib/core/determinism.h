// Deterministic mode (run.deterministic; reliability goal R3): the same run on the same GPU
// kind gives bitwise the same parameters. CPU kernels of LibTorch are deterministic for a fixed
// thread count already; on CUDA this asks for deterministic kernels and removes the sources of
// run-to-run variation that are settings, not kernels.
#pragma once

namespace ssa {

// Before any CUDA or NCCL use: CUBLAS_WORKSPACE_CONFIG=:4096:8 and NCCL_ALGO=Ring unless the
// environment sets them, cuDNN autotuning off and deterministic cuDNN, and LibTorch's
// deterministic algorithms on, so an op without a deterministic kernel throws instead of varying.
// `false` leaves every setting as it is.
void use_deterministic_kernels(bool deterministic);

}  // namespace ssa
