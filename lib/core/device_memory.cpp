// Peak memory probes (see device_memory.h). SSA_WITH_CUDA is set by CMake when the LibTorch it
// found ships libc10_cuda (a CUDA build); the allocator statistics API is the same in 1.13 and 2.x
// for what is used here (getDeviceStats, resetPeakStats, allocated_bytes[0] = the aggregate pool).
#include "lib/core/device_memory.h"

#include <sys/resource.h>

#ifdef SSA_WITH_CUDA
#include <c10/cuda/CUDACachingAllocator.h>
#endif

namespace ssa {

double peak_rss_mb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux
}

std::optional<double> take_cuda_peak_allocated_mb(const c10::Device& device) {
#ifdef SSA_WITH_CUDA
  if (!device.is_cuda()) return std::nullopt;
  namespace allocator = c10::cuda::CUDACachingAllocator;
  const auto index = device.has_index() ? device.index() : 0;
  const auto stats = allocator::getDeviceStats(index);
  const double mb = static_cast<double>(stats.allocated_bytes[0].peak) / (1024.0 * 1024.0);  // [0]: all pools
  allocator::resetPeakStats(index);
  return mb;
#else
  (void)device;
  return std::nullopt;
#endif
}

}  // namespace ssa
