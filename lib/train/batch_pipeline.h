// The training batches of each step. A step's plan (which examples go into each of this rank's
// micro-batches, and their augmentation seeds) is drawn one step ahead, and with `background` the
// batches are built on a worker thread while the current step computes: JPEG decoding and
// augmentation overlap the forward and backward passes. A batch depends only on its indices and
// seed, so results are identical with or without the worker (tested bitwise).
#pragma once
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "lib/data/dataset.h"

namespace ssa::train {

// One optimizer step's data on this rank, and the training-order position after its global batch.
struct StepPlan {
  std::vector<std::vector<int64_t>> indices;  // per micro-batch
  std::vector<uint64_t> seeds;                // augmentation seed per micro-batch
  data::OrderPosition position_after;
};

struct StepBatches {
  std::vector<data::Batch> micro_batches;  // on the CPU
  data::OrderPosition position_after;
};

class BatchPipeline {
 public:
  BatchPipeline(const data::Dataset& dataset, bool background);
  ~BatchPipeline();
  BatchPipeline(const BatchPipeline&) = delete;
  BatchPipeline& operator=(const BatchPipeline&) = delete;

  // Queues the next step's plan; with `background`, starts building its batches now. At most one
  // plan is queued at a time.
  void prefetch(StepPlan plan);
  bool has_prefetched() const { return pending_; }
  // The queued step's batches, built here or waited for; rethrows an error from building them.
  StepBatches take();

 private:
  void work();
  const data::Dataset& dataset_;
  bool pending_ = false;            // a plan was queued and its batches not yet taken
  std::optional<StepPlan> queued_;  // without the worker: the plan take() builds
  // Worker state, guarded by mutex_.
  std::mutex mutex_;
  std::condition_variable changed_;
  std::optional<StepPlan> to_build_;
  std::optional<StepBatches> built_;
  std::exception_ptr error_;
  bool stopping_ = false;
  std::thread worker_;  // only with `background`
};

// Builds every micro-batch of `plan` on the calling thread.
StepBatches build_step_batches(const data::Dataset& dataset, const StepPlan& plan);

}  // namespace ssa::train
