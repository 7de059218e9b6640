// Bucketed gradient all-reduce (see gradient_sync.h).
#include "lib/dist/gradient_sync.h"

#include <utility>

#include <ATen/ATen.h>
#include <torch/csrc/autograd/grad_mode.h>

#include "lib/core/error.h"

namespace ssa::dist {

GradientSync::GradientSync(Communicator& comm, std::vector<at::Tensor> parameters, double bucket_mb)
    : comm_(comm), parameters_(std::move(parameters)), slot_of_(parameters_.size()), filled_(parameters_.size()) {
  const auto limit = static_cast<int64_t>(bucket_mb * 1024 * 1024);
  int64_t bytes = 0;
  for (size_t k = parameters_.size(); k-- > 0;) {  // backward finishes the last parameters first
    const auto& p = parameters_[k];
    const int64_t size = p.numel() * static_cast<int64_t>(p.element_size());
    const bool new_bucket = buckets_.empty() || bytes + size > limit ||
                            parameters_[buckets_.back().members.front()].scalar_type() != p.scalar_type();
    if (new_bucket) {
      buckets_.emplace_back();
      bytes = 0;
    }
    auto& bucket = buckets_.back();
    slot_of_[k] = {buckets_.size() - 1, bucket.members.size()};
    bucket.offsets.push_back(bytes / static_cast<int64_t>(p.element_size()));
    bucket.members.push_back(k);
    bytes += size;
  }
  if (comm_.world_size() == 1) return;
  for (auto& bucket : buckets_) {
    const auto& last = parameters_[bucket.members.back()];
    bucket.flat = at::empty({bucket.offsets.back() + last.numel()}, last.options());
  }
  for (size_t k = 0; k < parameters_.size(); ++k) {
    if (!parameters_[k].requires_grad()) continue;
    hook_handles_.push_back(parameters_[k].register_hook([this, k](at::Tensor grad) { on_gradient(k, grad); }));
  }
}

GradientSync::~GradientSync() {
  size_t h = 0;
  for (auto& p : parameters_) {
    if (h < hook_handles_.size() && p.requires_grad()) p.remove_hook(hook_handles_[h++]);
  }
}

void GradientSync::arm_for_last_backward() {
  if (comm_.world_size() == 1) return;
  std::lock_guard<std::mutex> lock(mutex_);
  armed_ = true;
  started_in_backward_ = 0;
}

// Runs inside backward, before the gradient is accumulated: the step's gradient of this
// parameter is what earlier micro-batches left in .grad plus `grad`.
void GradientSync::on_gradient(size_t parameter, const at::Tensor& grad) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!armed_ || hook_error_) return;
  try {
    torch::NoGradGuard no_grad;
    const auto& earlier = parameters_[parameter].grad();
    copy_gradient_in(parameter, earlier.defined() ? earlier + grad : grad);
    const size_t before = in_flight_.size();
    start_ready_buckets();
    started_in_backward_ += in_flight_.size() - before;
  } catch (...) {
    hook_error_ = std::current_exception();
  }
}

void GradientSync::copy_gradient_in(size_t parameter, const at::Tensor& grad) {
  const auto [b, m] = slot_of_[parameter];
  auto& bucket = buckets_[b];
  const auto& p = parameters_[parameter];
  bucket.flat.narrow(0, bucket.offsets[m], p.numel()).view(p.sizes()).copy_(grad);
  filled_[parameter] = true;
  ++bucket.ready;
}

void GradientSync::start_ready_buckets() {
  while (in_flight_.size() < buckets_.size() &&
         buckets_[in_flight_.size()].ready == buckets_[in_flight_.size()].members.size()) {
    in_flight_.push_back(comm_.start_all_reduce_sum({buckets_[in_flight_.size()].flat}));
  }
}

void GradientSync::average() {
  if (comm_.world_size() == 1) return;
  torch::NoGradGuard no_grad;
  std::lock_guard<std::mutex> lock(mutex_);
  if (!armed_) started_in_backward_ = 0;
  armed_ = false;
  if (hook_error_) std::rethrow_exception(std::exchange(hook_error_, nullptr));
  for (size_t k = 0; k < parameters_.size(); ++k) {  // no hook ran: not used in the last backward
    if (filled_[k]) continue;
    const auto& p = parameters_[k];
    copy_gradient_in(k, p.grad().defined() ? p.grad() : at::zeros_like(p));
  }
  start_ready_buckets();
  const double scale = 1.0 / comm_.world_size();
  for (size_t b = 0; b < buckets_.size(); ++b) {
    in_flight_[b].wait();
    auto& bucket = buckets_[b];
    bucket.flat.mul_(scale);
    for (size_t m = 0; m < bucket.members.size(); ++m) {
      auto& p = parameters_[bucket.members[m]];
      const auto mean = bucket.flat.narrow(0, bucket.offsets[m], p.numel()).view(p.sizes());
      if (p.grad().defined()) {
        p.mutable_grad().copy_(mean);
      } else {
        p.mutable_grad() = mean.clone();
      }
    }
    bucket.ready = 0;
  }
  in_flight_.clear();
  std::fill(filled_.begin(), filled_.end(), false);
}

void GradientSync::broadcast_parameters() {
  if (comm_.world_size() == 1) return;
  torch::NoGradGuard no_grad;
  for (const auto& bucket : buckets_) {
    std::vector<at::Tensor> pieces;
    for (const size_t i : bucket.members) pieces.push_back(parameters_[i].detach().reshape({-1}));
    std::vector<at::Tensor> flat{at::cat(pieces)};
    comm_.broadcast_from_main(flat);
    int64_t offset = 0;
    for (const size_t i : bucket.members) {
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
