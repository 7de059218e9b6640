// Bucketed gradient all-reduce (see gradient_sync.h).
#include "lib/dist/gradient_sync.h"

#include <ATen/ATen.h>
#include <torch/csrc/autograd/grad_mode.h>

#include "lib/core/error.h"

namespace ssa::dist {

GradientSync::GradientSync(Communicator& comm, std::vector<at::Tensor> parameters, double bucket_mb)
    : comm_(comm), parameters_(std::move(parameters)) {
  const auto limit = static_cast<int64_t>(bucket_mb * 1024 * 1024);
  int64_t bytes = 0;
  for (size_t i = 0; i < parameters_.size(); ++i) {
    const auto& p = parameters_[i];
    const int64_t size = p.numel() * static_cast<int64_t>(p.element_size());
    const bool new_bucket = buckets_.empty() || bytes + size > limit ||
                            parameters_[buckets_.back().front()].scalar_type() != p.scalar_type();
    if (new_bucket) {
      buckets_.emplace_back();
      bytes = 0;
    }
    buckets_.back().push_back(i);
    bytes += size;
  }
}

void GradientSync::average() {
  if (comm_.world_size() == 1) return;
  torch::NoGradGuard no_grad;
  const double scale = 1.0 / comm_.world_size();
  for (const auto& bucket : buckets_) {
    std::vector<at::Tensor> pieces;
    for (const size_t i : bucket) {
      const auto& p = parameters_[i];
      pieces.push_back(p.grad().defined() ? p.grad().reshape({-1}) : at::zeros({p.numel()}, p.options()));
    }
    std::vector<at::Tensor> flat{at::cat(pieces)};  // (bucket elements)
    comm_.all_reduce_sum(flat);
    flat[0].mul_(scale);
    int64_t offset = 0;
    for (const size_t i : bucket) {
      auto& p = parameters_[i];
      const auto slice = flat[0].narrow(0, offset, p.numel()).view(p.sizes());
      if (p.grad().defined()) {
        p.mutable_grad().copy_(slice);
      } else {
        p.mutable_grad() = slice.clone();
      }
      offset += p.numel();
    }
  }
}

void GradientSync::broadcast_parameters() {
  if (comm_.world_size() == 1) return;
  torch::NoGradGuard no_grad;
  for (const auto& bucket : buckets_) {
    std::vector<at::Tensor> pieces;
    for (const size_t i : bucket) pieces.push_back(parameters_[i].detach().reshape({-1}));
    std::vector<at::Tensor> flat{at::cat(pieces)};
    comm_.broadcast_from_main(flat);
    int64_t offset = 0;
    for (const size_t i : bucket) {
      auto& p = parameters_[i];
      p.detach().copy_(flat[0].narrow(0, offset, p.numel()).view(p.sizes()));
      offset += p.numel();
    }
  }
}

namespace {

// FNV-1a over the raw bytes of every tensor, in order.
uint64_t fingerprint(const std::vector<at::Tensor>& tensors) {
  uint64_t h = 1469598103934665603ULL;
  for (const auto& t : tensors) {
    const auto bytes = t.detach().to(at::kCPU).contiguous();
    const auto* p = static_cast<const unsigned char*>(bytes.data_ptr());
    for (int64_t i = 0; i < bytes.numel() * static_cast<int64_t>(bytes.element_size()); ++i) {
      h = (h ^ p[i]) * 1099511628211ULL;
    }
  }
  return h;
}

}  // namespace

uint64_t GradientSync::check_replicas_identical(int64_t step) {
  const uint64_t mine = fingerprint(parameters_);
  if (comm_.world_size() == 1) return mine;
  const auto all = comm_.all_gather(at::tensor(static_cast<int64_t>(mine), at::kLong));
  for (size_t r = 0; r < all.size(); ++r) {
    if (static_cast<uint64_t>(all[r].item<int64_t>()) != mine) {
      throw Error(ExitCode::kDistributed, "step " + std::to_string(step) + ": parameters of rank " + std::to_string(r) +
                                              " differ from rank " + std::to_string(comm_.rank()) +
                                              "; the replicas diverged");
    }
  }
  return mine;
}

}  // namespace ssa::dist
