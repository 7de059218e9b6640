// The CPU thread count of a process, in one call. LibTorch's at::set_num_threads sizes its own
// (OpenMP) pool but not OpenBLAS's, which Debian's LibTorch calls for matrix products and which
// otherwise starts one thread per core: with run.threads = 1 a process still used every core, and
// several ranks on one machine oversubscribed it. OpenBLAS is found at run time (dlsym), so builds
// against another BLAS (MKL in the PyTorch wheel, which at::set_num_threads already covers) are
// unaffected.
#pragma once
#include <optional>

namespace ssa {

// Sets LibTorch's intra-op threads and, when OpenBLAS is loaded, OpenBLAS's to `threads` (>= 1).
void set_cpu_threads(int threads);

// Sets OpenBLAS's thread count alone (no-op without OpenBLAS).
void set_openblas_threads(int threads);

// OpenBLAS's current thread count; nullopt when the process has no OpenBLAS.
std::optional<int> openblas_threads();

// How the loaded OpenBLAS runs threads (openblas_get_parallel); nullopt without OpenBLAS.
// kOwnPool, Debian's libopenblas0-pthread, keeps a pool beside LibTorch's OpenMP one: kernels that
// call BLAS inside a parallel region (the fused attention of 2.x, batched products) then run up
// to threads x threads on `threads` cores, measured 1.3-8.6x slower training steps here
// (docs/benchmarks.md). kOpenMp, libopenblas0-openmp (scripts/install-deps.sh), shares LibTorch's
// pool and runs single-threaded inside its parallel regions.
enum class BlasThreading { kSerial, kOwnPool, kOpenMp };
std::optional<BlasThreading> openblas_threading();

// The cores this process may run on: the CPU affinity mask it was started with (taskset, SLURM's
// --cpus-per-task or --cpu-bind, mpirun --bind-to, cgroup cpusets), else the machine's core
// count; at least 1. Under OpenMP binding (OMP_PROC_BIND, OMP_PLACES), which pins the main thread
// before main(), the union of the OpenMP places, which were built from that starting mask.
int usable_cores();

}  // namespace ssa
