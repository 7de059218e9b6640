// Data-parallel gradient averaging: gradients are packed into flat buckets of about bucket_mb,
// each bucket is all-reduced and divided by the world size, then unpacked. Called once per
// optimizer step, after the last micro-batch's backward, so accumulation never communicates.
// (Not yet overlapped with backward through gradient hooks.)
#pragma once
#include <cstdint>
#include <vector>

#include <ATen/core/Tensor.h>

#include "lib/dist/communicator.h"

namespace ssa::dist {

class GradientSync {
 public:
  GradientSync(Communicator& comm, std::vector<at::Tensor> parameters, double bucket_mb);

  // Every rank's .grad becomes the mean over ranks. A parameter without a gradient counts as zero.
  void average();

  // Copies rank 0's parameter values to every rank (start of training).
  void broadcast_parameters();

  // Compares a bitwise fingerprint of the parameters across ranks; Error (kDistributed) naming
  // the step if any rank differs. Returns the fingerprint.
  uint64_t check_replicas_identical(int64_t step);

  size_t bucket_count() const { return buckets_.size(); }

 private:
  Communicator& comm_;
  std::vector<at::Tensor> parameters_;
  std::vector<std::vector<size_t>> buckets_;  // parameter indices, same dtype within a bucket
};

}  // namespace ssa::dist
