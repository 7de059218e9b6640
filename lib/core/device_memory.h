// Peak memory of the process for the metrics' M column: CPU resident set (getrusage) and, on
// CUDA builds, the CUDA caching allocator's peak of allocated bytes.
#pragma once
#include <optional>

#include <c10/core/Device.h>

namespace ssa {

// Peak resident set size of this process since it started, MiB.
double peak_rss_mb();

// Peak bytes allocated by the CUDA caching allocator on `device` since the previous call (or the
// start), MiB; resets that peak. nullopt for a non-CUDA device or a build without CUDA.
std::optional<double> take_cuda_peak_allocated_mb(const c10::Device& device);

}  // namespace ssa
