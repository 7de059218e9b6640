// Peak live bytes of the CPU tensors allocated on this thread while a probe is installed, through
// the CPU allocator's memory-profiling hook (c10::MemoryReportingInfoBase, as the autograd
// profiler's profile_memory uses): every allocation reports +bytes, every free of one of them
// -bytes. Tensors that existed before the probe are not counted. Used by bench/ and tests.
#pragma once
#include <algorithm>
#include <cstdint>
#include <memory>
#include <mutex>

#include <c10/core/Allocator.h>
#include <c10/util/ThreadLocalDebugInfo.h>

namespace ssa {

class CpuMemoryProbe : public c10::MemoryReportingInfoBase {
 public:
  // The hook's totals are int64_t in LibTorch 1.13 and size_t in 2.x: one of these two overloads
  // overrides it, whichever the version declares.
  void reportMemoryUsage(void*, int64_t bytes, int64_t, int64_t, c10::Device device) { add(bytes, device); }
  void reportMemoryUsage(void*, int64_t bytes, size_t, size_t, c10::Device device) { add(bytes, device); }
  bool memoryProfilingEnabled() const override { return true; }

  int64_t peak_bytes() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return peak_;
  }

 private:
  void add(int64_t bytes, c10::Device device) {  // locked: LibTorch may carry the probe to worker threads
    if (!device.is_cpu()) return;
    std::lock_guard<std::mutex> lock(mutex_);
    live_ += bytes;
    peak_ = std::max(peak_, live_);
  }
  mutable std::mutex mutex_;
  int64_t live_ = 0, peak_ = 0;
};

// Runs `work` with a fresh probe installed on this thread; returns its peak live bytes.
template <class Work>
int64_t peak_cpu_bytes(Work&& work) {
  auto probe = std::make_shared<CpuMemoryProbe>();
  {
    c10::DebugInfoGuard guard(c10::DebugInfoKind::PROFILER_STATE, probe);
    work();
  }
  return probe->peak_bytes();
}

}  // namespace ssa
