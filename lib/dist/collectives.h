// The collectives of a data-parallel job as an interface, for code that must issue the same
// collectives in the same order on every rank (evaluation, failure agreement): the Communicator
// implements it with Gloo or NCCL; tests/support/simulated_ranks.h implements it for ranks run
// as threads of one process, recording every call.
#pragma once
#include <vector>

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>

namespace ssa::dist {

class Collectives {
 public:
  virtual ~Collectives() = default;
  virtual int rank() const = 0;
  virtual int world_size() const = 0;
  virtual const c10::Device& device() const = 0;  // where collective tensors live

  // In place: every rank ends with the elementwise sums. Same shapes and dtypes on every rank.
  virtual void all_reduce_sum(std::vector<at::Tensor>& tensors) = 0;
  virtual double all_reduce_max(double value) = 0;
  // The max over ranks through a path that tolerates ranks arriving up to a long timeout apart
  // (Communicator::agree_max); the same value as all_reduce_max.
  virtual double agree_max(double value) = 0;
  // rows: (R_r, C) with R_r differing by rank -> (sum of R_r, C), rank 0's rows first.
  virtual at::Tensor all_gather_rows(const at::Tensor& rows) = 0;
};

}  // namespace ssa::dist
