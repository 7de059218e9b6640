// The process group of a data-parallel job: rendezvous through a c10d TCPStore on rank 0, then
// Gloo (CPU tensors) or NCCL (CUDA tensors). A single process needs no store and no backend.
// Every collective waits at most `timeout`; a dead or missing rank becomes one clear Error
// (exit code kDistributed) on every survivor instead of a hang or an abort.
#pragma once
#include <chrono>
#include <memory>
#include <vector>

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>

#include "lib/dist/collectives.h"
#include "lib/dist/launch_env.h"

namespace ssa::dist {

// A collective that was started and has not been waited for. wait() blocks until it is done and
// turns a dead or silent peer into the same Error as the blocking calls; waiting twice is a no-op.
class PendingCollective {
 public:
  struct Work;  // opaque: the c10d work handle
  explicit PendingCollective(std::unique_ptr<Work> work = nullptr);
  ~PendingCollective();
  PendingCollective(PendingCollective&&) noexcept;
  PendingCollective& operator=(PendingCollective&&) noexcept;
  void wait();

 private:
  std::unique_ptr<Work> work_;  // null: nothing in flight (done, or a single process)
};

class Communicator : public Collectives {
 public:
  // Connects all ranks of `launch`; tensors passed later live on `device`. `timeout` bounds the
  // rendezvous and every collective, `agreement_timeout` each agree_max.
  Communicator(const LaunchInfo& launch, const c10::Device& device, std::chrono::milliseconds timeout,
               std::chrono::milliseconds agreement_timeout);
  ~Communicator() override;
  Communicator(const Communicator&) = delete;
  Communicator& operator=(const Communicator&) = delete;

  int rank() const override { return launch_.rank; }
  int world_size() const override { return launch_.world_size; }
  bool is_main() const { return launch_.rank == 0; }
  const LaunchInfo& launch() const { return launch_; }
  const c10::Device& device() const override { return device_; }  // where collective tensors live

  void all_reduce_sum(std::vector<at::Tensor>& tensors) override;  // in place
  // Starts an in-place sum and returns at once; the tensors must stay alive until wait(). Ranks
  // must start their collectives in the same order.
  PendingCollective start_all_reduce_sum(std::vector<at::Tensor> tensors);
  double all_reduce_sum(double value);
  double all_reduce_max(double value) override;
  // The max of one double over ranks through the rendezvous store, not a collective: ranks may
  // arrive up to agreement_timeout apart (a collective would give up after `timeout`), but a rank
  // that died is also waited for that long. Every rank must make the same sequence of calls.
  double agree_max(double value) override;
  void broadcast_from_main(std::vector<at::Tensor>& tensors);    // in place
  std::vector<at::Tensor> all_gather(const at::Tensor& tensor);  // same shape on every rank
  // values: any shape, its number of elements differing by rank -> every rank's values, flat.
  std::vector<at::Tensor> all_gather_varying(const at::Tensor& values);
  // rows: (R_r, C) with R_r differing by rank -> (sum of R_r, C), rank 0's rows first.
  at::Tensor all_gather_rows(const at::Tensor& rows) override;
  void barrier();

  struct Backend;  // opaque: the c10d store and process group

 private:
  double reduce_scalar(double value, bool max);  // sum or max of one double over ranks

  LaunchInfo launch_;
  c10::Device device_;
  std::chrono::milliseconds timeout_;
  std::chrono::milliseconds agreement_timeout_;
  int64_t agreements_ = 0;            // agree_max calls so far: each uses its own store keys
  std::unique_ptr<Backend> backend_;  // null for a single process
};

}  // namespace ssa::dist
