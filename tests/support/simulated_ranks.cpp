// Threads as ranks, with an in-memory exchange for collectives (see simulated_ranks.h).
#include "tests/support/simulated_ranks.h"

#include <chrono>
#include <exception>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <ATen/ATen.h>

namespace ssa::test {
namespace {

constexpr size_t kRunning = std::numeric_limits<size_t>::max();

std::string signature_of(const std::string& kind, const std::vector<at::Tensor>& tensors, bool rows_vary) {
  std::ostringstream s;
  s << kind;
  for (const auto& t : tensors) {
    auto shape = t.sizes().vec();
    if (rows_vary && !shape.empty()) shape[0] = -1;  // a row gather's row counts may differ
    s << " " << t.scalar_type() << at::IntArrayRef(shape);
  }
  return s.str();
}

int64_t bytes_of(const std::vector<at::Tensor>& tensors) {
  int64_t bytes = 0;
  for (const auto& t : tensors) bytes += t.numel() * static_cast<int64_t>(t.element_size());
  return bytes;
}

}  // namespace

int SimulatedRank::world_size() const { return group_.world(); }

std::vector<std::vector<at::Tensor>> SimulatedRank::exchange(const std::string& signature, std::vector<at::Tensor> mine) {
  calls_.push_back(signature);
  max_call_bytes_ = std::max(max_call_bytes_, bytes_of(mine));
  for (auto& t : mine) t = t.clone();  // the caller may overwrite its tensors while others still read
  return group_.exchange(rank_, calls_.size() - 1, signature, std::move(mine));
}

void SimulatedRank::all_reduce_sum(std::vector<at::Tensor>& tensors) {
  const auto parts = exchange(signature_of("all_reduce_sum", tensors, false), tensors);
  for (size_t i = 0; i < tensors.size(); ++i) {
    auto total = at::zeros_like(tensors[i]);
    for (const auto& part : parts) total += part[i];  // rank order, as a ring would not promise
    tensors[i].copy_(total);
  }
}

double SimulatedRank::all_reduce_max(double value) {
  const auto parts = exchange("all_reduce_max", {at::full({1}, value, at::kDouble)});
  double best = -std::numeric_limits<double>::infinity();
  for (const auto& part : parts) best = std::max(best, part[0].item<double>());
  return best;
}

at::Tensor SimulatedRank::all_gather_rows(const at::Tensor& rows) {
  const auto parts = exchange(signature_of("all_gather_rows", {rows}, true), {rows});
  std::vector<at::Tensor> all;
  for (const auto& part : parts) all.push_back(part[0]);
  return at::cat(all);
}

SimulatedGroup::SimulatedGroup(int world) : world_(world), finished_at_(static_cast<size_t>(world), kRunning) {
  for (int r = 0; r < world; ++r) ranks_.emplace_back(*this, r);
}

std::vector<std::vector<at::Tensor>> SimulatedGroup::exchange(int rank, size_t call, const std::string& signature,
                                                              std::vector<at::Tensor> mine) {
  std::unique_lock<std::mutex> lock(mutex_);
  Slot& slot = slots_[call];
  if (slot.parts.empty()) slot.parts.resize(static_cast<size_t>(world_)), slot.signatures.resize(slot.parts.size());
  slot.parts[static_cast<size_t>(rank)] = std::move(mine);
  slot.signatures[static_cast<size_t>(rank)] = signature;
  ++slot.arrived;
  changed_.notify_all();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (slot.arrived < world_) {
    for (int r = 0; r < world_; ++r) {
      if (finished_at_[static_cast<size_t>(r)] <= call) {
        throw std::runtime_error("collective " + std::to_string(call) + " (" + signature + ") on rank " +
                                 std::to_string(rank) + ": rank " + std::to_string(r) + " ended after " +
                                 std::to_string(finished_at_[static_cast<size_t>(r)]) + " collectives");
      }
    }
    if (changed_.wait_until(lock, deadline) == std::cv_status::timeout)
      throw std::runtime_error("collective " + std::to_string(call) + ": not every rank arrived in 60 s");
  }
  for (int r = 0; r < world_; ++r) {
    if (slot.signatures[static_cast<size_t>(r)] != slot.signatures[0]) {
      throw std::runtime_error("collective " + std::to_string(call) + ": rank 0 issued " + slot.signatures[0] +
                               ", rank " + std::to_string(r) + " issued " + slot.signatures[static_cast<size_t>(r)]);
    }
  }
  auto parts = slot.parts;  // the tensors are only read
  if (++slot.left == world_) slots_.erase(call);
  return parts;
}

void SimulatedGroup::run(const std::function<void(SimulatedRank&)>& body) {
  std::vector<std::exception_ptr> errors(static_cast<size_t>(world_));
  std::vector<std::thread> threads;
  for (int r = 0; r < world_; ++r) {
    threads.emplace_back([&, r] {
      try {
        body(ranks_[static_cast<size_t>(r)]);
      } catch (...) {
        errors[static_cast<size_t>(r)] = std::current_exception();
      }
      std::lock_guard<std::mutex> lock(mutex_);
      finished_at_[static_cast<size_t>(r)] = ranks_[static_cast<size_t>(r)].calls().size();
      changed_.notify_all();
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& e : errors) {
    if (e) std::rethrow_exception(e);
  }
}

}  // namespace ssa::test
