// CPU thread counts for LibTorch and OpenBLAS (see cpu_threads.h).
#include "lib/core/cpu_threads.h"

#include <dlfcn.h>
#include <sched.h>

#include <algorithm>
#include <set>
#include <thread>
#include <vector>

#include <ATen/Parallel.h>

namespace ssa {

void set_cpu_threads(int threads) {
  at::set_num_threads(threads);
  set_openblas_threads(threads);
}

void set_openblas_threads(int threads) {
  using SetThreads = void (*)(int);
  if (auto set = reinterpret_cast<SetThreads>(::dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))) set(threads);
}

std::optional<int> openblas_threads() {
  using GetThreads = int (*)();
  if (auto get = reinterpret_cast<GetThreads>(::dlsym(RTLD_DEFAULT, "openblas_get_num_threads"))) return get();
  return std::nullopt;
}

std::optional<BlasThreading> openblas_threading() {
  using GetParallel = int (*)();
  const auto get = reinterpret_cast<GetParallel>(::dlsym(RTLD_DEFAULT, "openblas_get_parallel"));
  if (!get) return std::nullopt;
  switch (get()) {  // OpenBLAS: 0 sequential, 1 its own pthreads, 2 OpenMP
    case 0: return BlasThreading::kSerial;
    case 1: return BlasThreading::kOwnPool;
    default: return BlasThreading::kOpenMp;
  }
}

namespace {

// The union of the OpenMP runtime's places while it binds threads (OMP_PROC_BIND true, close,
// spread or primary); nullopt when it does not bind or no OpenMP runtime is loaded. Measured with
// libgomp (LibTorch's runtime on Debian): with binding it pins the main thread to the first place
// while the library loads, before main() and before any constructor of this program, so the main
// thread's mask then says 1 core. The places were built from the mask the process inherited
// (taskset, srun --cpu-bind, mpirun --bind-to, cgroups), so their union is that mask. Found at
// run time (dlsym), like OpenBLAS, so no build links an OpenMP runtime of its own.
std::optional<int> cpus_of_openmp_places() {
  using Count = int (*)();
  using PlaceProcs = int (*)(int);
  using PlaceIds = void (*)(int, int*);
  const auto proc_bind = reinterpret_cast<Count>(::dlsym(RTLD_DEFAULT, "omp_get_proc_bind"));
  const auto num_places = reinterpret_cast<Count>(::dlsym(RTLD_DEFAULT, "omp_get_num_places"));
  const auto place_procs = reinterpret_cast<PlaceProcs>(::dlsym(RTLD_DEFAULT, "omp_get_place_num_procs"));
  const auto place_ids = reinterpret_cast<PlaceIds>(::dlsym(RTLD_DEFAULT, "omp_get_place_proc_ids"));
  if (!proc_bind || !num_places || !place_procs || !place_ids || proc_bind() == 0) return std::nullopt;  // 0: false
  std::set<int> cpus;
  for (int place = 0; place < num_places(); ++place) {
    std::vector<int> ids(static_cast<size_t>(std::max(0, place_procs(place))));
    place_ids(place, ids.data());
    cpus.insert(ids.begin(), ids.end());
  }
  if (cpus.empty()) return std::nullopt;
  return static_cast<int>(cpus.size());
}

}  // namespace

int usable_cores() {
  if (const auto bound = cpus_of_openmp_places()) return *bound;
  cpu_set_t mask;
  CPU_ZERO(&mask);
  if (::sched_getaffinity(0, sizeof(mask), &mask) == 0 && CPU_COUNT(&mask) > 0) return CPU_COUNT(&mask);
  return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

}  // namespace ssa
