// Data-parallel gradient averaging. Gradients are packed into flat buckets of about bucket_mb
// (parameters in reverse order, the order backward produces them), each bucket is all-reduced
// and divided by the world size, then written back to .grad.
//
// Overlap: after arm_for_last_backward(), a hook on every parameter copies its finished gradient
// (earlier micro-batches + this one) into its bucket while backward runs; a full bucket starts
// its all-reduce at once, in bucket order so every rank issues the same sequence. average()
// then starts what is left (parameters without a gradient count as zero), waits, and writes
// the means. Earlier micro-batches never communicate. Without arming, average() does all of it
// after backward; both ways give bitwise the same gradients.
#pragma once
#include <cstdint>
#include <exception>
#include <mutex>
#include <vector>

#include <ATen/core/Tensor.h>

#include "lib/dist/communicator.h"

namespace ssa::dist {

class GradientSync {
 public:
  GradientSync(Communicator& comm, std::vector<at::Tensor> parameters, double bucket_mb);
  ~GradientSync();
  GradientSync(const GradientSync&) = delete;
  GradientSync& operator=(const GradientSync&) = delete;

  // The next backward is the last of this step: start bucket all-reduces from gradient hooks.
  void arm_for_last_backward();

  // Every rank's .grad becomes the mean over ranks. A parameter without a gradient counts as zero.
  void average();

  // Copies rank 0's parameter values to every rank (start of training).
  void broadcast_parameters();

  // Compares a bitwise fingerprint of the parameters across ranks; Error (kDistributed) naming
  // the step if any rank differs. Returns the fingerprint.
  uint64_t check_replicas_identical(int64_t step);

  size_t bucket_count() const { return buckets_.size(); }
  // Buckets whose all-reduce started inside backward during the last step (for tests and logs).
  size_t buckets_started_in_backward() const { return started_in_backward_; }

 private:
  struct Bucket {
    std::vector<size_t> members;   // parameter indices, one dtype
    std::vector<int64_t> offsets;  // start of each member in `flat`
    at::Tensor flat;               // (bucket elements) gradients, then their sum over ranks
    size_t ready = 0;              // members whose gradient is in `flat`
  };

  void on_gradient(size_t parameter, const at::Tensor& grad);  // hook body
  void start_ready_buckets();                                  // in bucket order, under mutex_
  void copy_gradient_in(size_t parameter, const at::Tensor& grad);

  Communicator& comm_;
  std::vector<at::Tensor> parameters_;
  std::vector<Bucket> buckets_;
  std::vector<std::pair<size_t, size_t>> slot_of_;  // parameter -> (bucket, member)
  std::vector<bool> filled_;                        // parameter's gradient already in its bucket
  std::vector<PendingCollective> in_flight_;        // started this step, in bucket order
  std::vector<unsigned> hook_handles_;
  std::mutex mutex_;  // hooks may run on an autograd device thread
  bool armed_ = false;
  size_t started_in_backward_ = 0;
  std::exception_ptr hook_error_;  // a failed start inside backward, rethrown by average()
};

}  // namespace ssa::dist
