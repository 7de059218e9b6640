// Ranks of a data-parallel job simulated as threads of one process, with real collectives (sums,
// maxima, row gathers) over an in-memory exchange and no sockets. Every call is recorded with its
// signature (kind, shapes, dtype) and bytes; a call whose signature differs from another rank's
// at the same position, or a rank that ends while others wait, is an error naming both, raised on
// the waiting ranks instead of a hang.
#pragma once
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "lib/dist/collectives.h"

namespace ssa::test {

class SimulatedGroup;

class SimulatedRank : public dist::Collectives {
 public:
  SimulatedRank(SimulatedGroup& group, int rank) : group_(group), rank_(rank) {}
  int rank() const override { return rank_; }
  int world_size() const override;
  const c10::Device& device() const override { return device_; }
  void all_reduce_sum(std::vector<at::Tensor>& tensors) override;
  double all_reduce_max(double value) override;
  double agree_max(double value) override { return all_reduce_max(value); }
  at::Tensor all_gather_rows(const at::Tensor& rows) override;

  const std::vector<std::string>& calls() const { return calls_; }  // signatures in order
  int64_t max_call_bytes() const { return max_call_bytes_; }        // of this rank's tensors in one call

 private:
  std::vector<std::vector<at::Tensor>> exchange(const std::string& signature, std::vector<at::Tensor> mine);

  SimulatedGroup& group_;
  int rank_;
  c10::Device device_{c10::kCPU};
  std::vector<std::string> calls_;
  int64_t max_call_bytes_ = 0;
};

class SimulatedGroup {
 public:
  explicit SimulatedGroup(int world);
  // Runs body(rank r) on one thread per rank; rethrows the first error (by rank order).
  void run(const std::function<void(SimulatedRank&)>& body);
  int world() const { return world_; }
  const SimulatedRank& rank(int r) const { return ranks_[static_cast<size_t>(r)]; }

 private:
  friend class SimulatedRank;
  struct Slot {
    std::vector<std::string> signatures;
    std::vector<std::vector<at::Tensor>> parts;
    int arrived = 0, left = 0;
  };
  std::vector<std::vector<at::Tensor>> exchange(int rank, size_t call, const std::string& signature,
                                                std::vector<at::Tensor> mine);

  int world_;
  std::vector<SimulatedRank> ranks_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::map<size_t, Slot> slots_;     // open calls by position
  std::vector<size_t> finished_at_;  // calls a finished rank made; SIZE_MAX while running
};

}  // namespace ssa::test
