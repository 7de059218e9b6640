// Step batches built ahead on a worker thread (see batch_pipeline.h).
#include "lib/train/batch_pipeline.h"

#include <ATen/Parallel.h>
#include <ATen/core/grad_mode.h>

namespace ssa::train {

StepBatches build_step_batches(const data::Dataset& dataset, const StepPlan& plan) {
  StepBatches out;
  for (size_t i = 0; i < plan.indices.size(); ++i)
    out.micro_batches.push_back(dataset.batch(plan.indices[i], plan.seeds[i]));
  out.position_after = plan.position_after;
  return out;
}

BatchPipeline::BatchPipeline(const data::Dataset& dataset, bool background) : dataset_(dataset) {
  if (!background) return;
  const int threads = at::get_num_threads();  // OpenMP thread counts are per thread: pass ours on
  worker_ = std::thread([this, threads] {
    at::set_num_threads(threads);
    work();
  });
}

BatchPipeline::~BatchPipeline() {
  if (!worker_.joinable()) return;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  worker_.join();
}

void BatchPipeline::prefetch(StepPlan plan) {
  pending_ = true;
  if (!worker_.joinable()) {
    queued_ = std::move(plan);
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    to_build_ = std::move(plan);
  }
  changed_.notify_all();
}

StepBatches BatchPipeline::take() {
  pending_ = false;
  if (!worker_.joinable()) {
    const StepPlan plan = std::move(*queued_);
    queued_.reset();
    return build_step_batches(dataset_, plan);
  }
  std::unique_lock<std::mutex> lock(mutex_);
  changed_.wait(lock, [&] { return built_.has_value() || error_ != nullptr; });
  if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
  StepBatches batches = std::move(*built_);
  built_.reset();
  return batches;
}

void BatchPipeline::work() {
  const at::NoGradGuard no_grad;
  std::unique_lock<std::mutex> lock(mutex_);
  while (true) {
    changed_.wait(lock, [&] { return stopping_ || to_build_.has_value(); });
    if (stopping_) return;
    const StepPlan plan = std::move(*to_build_);
    to_build_.reset();
    lock.unlock();
    std::optional<StepBatches> batches;
    std::exception_ptr error;
    try {
      batches = build_step_batches(dataset_, plan);
    } catch (...) {
      error = std::current_exception();
    }
    lock.lock();
    built_ = std::move(batches);
    error_ = error;
    changed_.notify_all();
  }
}

}  // namespace ssa::train
