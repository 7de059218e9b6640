// The training loop and its named steps (see trainer.h).
#include "lib/train/trainer.h"

#include <chrono>
#include <cmath>
#include <csignal>
#include <filesystem>

#include <spdlog/spdlog.h>
#include <torch/cuda.h>
#include <ATen/Parallel.h>
#include <torch/utils.h>

#include "lib/core/cpu_threads.h"
#include "lib/core/determinism.h"
#include "lib/core/device_memory.h"
#include "lib/core/error.h"
#include "lib/core/splitmix.h"
#include "lib/core/torch_compat.h"
#include "lib/dist/agreement.h"
#include "lib/train/evaluator.h"
#include "lib/train/lr_schedule.h"
#include "lib/train/machine_limits.h"
#include "lib/train/optimizer.h"
#include "models/model_registry.h"

namespace ssa::train {
namespace {

// Salts that give each random stream of a run its own seed, all from run.seed.
constexpr uint64_t kDataOrderSalt = 0xDA7A;
constexpr uint64_t kSamplerSalt = 0x55A;  // + rank: every rank draws its own SSA sources
constexpr uint64_t kAugmentSalt = 0xA06;

}  // namespace

void apply_run_settings(const RunConfig& run) {
  set_cpu_threads(run.threads > 0 ? static_cast<int>(run.threads) : usable_cores());
  torch::manual_seed(static_cast<uint64_t>(run.seed));
  use_deterministic_kernels(run.deterministic);
}

data::TaskData load_data(const config::ExperimentConfig& config) {
  data::TaskDataOptions options;
  options.task = config::task_of(config);
  const auto needs = models::find_family(config.model.type).data_needs(config.model.settings);
  options.vocab_size = needs.vocab_size;
  options.eval_context = config.eval.context;
  options.image_side = needs.image_side;
  options.num_classes = needs.num_classes;
  options.order_seed = mix_seed(static_cast<uint64_t>(config.run.seed), kDataOrderSalt);
  return data::load_task_data(config.data, options);
}

at::Device resolve_device(const RunConfig& run, int local_rank) {
  if (run.device == DeviceKind::kCuda) {
    if (!torch::cuda::is_available()) throw ConfigError("run.device: cuda requested but no CUDA device is available");
    const auto gpus = static_cast<int>(torch::cuda::device_count());
    return at::Device(at::kCUDA, static_cast<c10::DeviceIndex>(local_rank % gpus));  // one GPU per local rank
  }
  return at::Device(at::kCPU);
}

Trainer::Trainer(const config::ExperimentConfig& config, const RunPaths& paths, dist::Communicator& comm,
                 data::TaskData data)
    : config_(config),
      paths_(paths),
      comm_(comm),
      device_(resolve_device(config.run, comm.launch().local_rank)),
      data_(std::move(data)),
      stop_request_(time_limit_of(config.run)),
      hooks_(make_step_hooks(faults_, comm.rank())) {
  SSA_CHECK(config_.train.batch_size % comm_.world_size() == 0 && local_batch() % micro_batch() == 0, ExitCode::kConfig,
            "train.batch_size ({}) must split into {} ranks of whole micro-batches ({})", config_.train.batch_size,
            comm_.world_size(), micro_batch());
  spdlog::info("threads: {} (run.threads = {}; this process may use {} cores)", at::get_num_threads(),
               config_.run.threads, usable_cores());
  if (openblas_threading() == BlasThreading::kOwnPool && at::get_num_threads() > 1) {
    spdlog::warn(
        "threads: OpenBLAS keeps its own thread pool beside LibTorch's (libopenblas0-pthread), which "
        "oversubscribes the cores; libopenblas0-openmp shares LibTorch's (scripts/install-deps.sh)");
  }
  spdlog::info("data: train {}; validation {}", data_.train->describe(), data_.valid->describe());
  build_model();
  build_precision();
  build_optimizer();
  phases_ = std::make_unique<PhaseSchedule>(config_.train.phases, config_.train.steps);
  checkpointer_ = std::make_unique<Checkpointer>(
      paths_.checkpoints, config_.checkpoint.keep_last,
      SaveAttempts{config_.checkpoint.save_attempts, config_.checkpoint.retry_wait_s});
  check_disk_space();
  batches_ = std::make_unique<BatchPipeline>(*data_.train, config_.data.prefetch);
  progress_ = std::make_unique<Progress>(config_.train.steps, config_.log.every, config_.log.progress);
}

void Trainer::build_model() {
  const auto rank = static_cast<uint64_t>(comm_.rank());  // per-rank SSA draws: the sampler seed mixes in the rank
  model_ = models::build_model(config_.model, mix_seed(static_cast<uint64_t>(config_.run.seed), kSamplerSalt + rank));
  model_->to(device_);
  model_->train();
  model_->set_activation_checkpointing(config_.train.activation_checkpointing);
  spdlog::info("model: {} with {} parameters", config_.model.type, model_->parameter_count());
  if (!device_.is_cuda()) check_training_state_fits(model_->parameter_count(), available_memory_bytes());
}

// run.precision -> the autocast dtype; train.loss_scale.mode -> whether the loss scaler runs.
void Trainer::build_precision() {
  Precision precision = config_.run.precision;
  if (precision == Precision::kAuto) precision = device_.is_cuda() ? Precision::kBf16 : Precision::kFp32;
  if (precision == Precision::kBf16) autocast_dtype_ = at::kBFloat16;
  if (precision == Precision::kFp16) autocast_dtype_ = at::kHalf;
  const LossScaleMode mode = config_.train.loss_scale.mode;
  scaler_ = std::make_unique<LossScaler>(
      config_.train.loss_scale,
      mode == LossScaleMode::kDynamic || (mode == LossScaleMode::kAuto && precision == Precision::kFp16));
  spdlog::info("precision: {}{}", precision_name(precision), scaler_->enabled() ? " with dynamic loss scaling" : "");
}

void Trainer::build_optimizer() {
  optimizer_ = train::build_optimizer(*model_, config_.train.optimizer);
  grad_sync_ = std::make_unique<dist::GradientSync>(comm_, model_->parameters(), config_.dist.bucket_mb);
  grad_sync_->broadcast_parameters();  // every rank starts from rank 0's weights
}

// Rank 0 must have room for a checkpoint: a full disk is found now, not at the first save hours
// later. Every rank learns the outcome.
void Trainer::check_disk_space() {
  dist::run_agreeing(comm_, "checking free disk space", [&] {
    if (!comm_.is_main()) return;
    std::error_code ec;
    const auto space = std::filesystem::space(paths_.checkpoints, ec);
    const int64_t injected = faults_.amount("free_space", 0, comm_.rank());
    if (ec && injected == 0) return;  // no answer from the file system: the saves will tell
    const int64_t available = injected > 0 ? injected : static_cast<int64_t>(space.available);
    const std::string warning = check_free_space(paths_.checkpoints, estimated_checkpoint_bytes(*model_), available);
    if (!warning.empty()) spdlog::warn("{}", warning);
  });
}

// run.init_from on a fresh run: another run's weights; the optimizer, step, data position and
// random streams start fresh. Every rank reads the same file, so replicas stay identical.
void Trainer::init_weights_from(const std::string& path) {
  const std::string checkpoint = resolve_checkpoint(path);
  load_weights(checkpoint, *model_);
  spdlog::info("initialized the weights from {}", checkpoint);
}

// The checkpoint the run continues from (run.resume): auto, the run's newest loadable one; never,
// none (refused if the run has some); a path, that checkpoint until the run has its own.
std::optional<std::string> Trainer::restore() {
  const std::string& mode = config_.run.resume;
  const CheckpointParts parts{*model_, optimizer_.get(), state_, {}, comm_.rank()};
  if (mode == "auto") return checkpointer_->restore_latest(parts);
  const bool own = !checkpointer_->complete_checkpoints().empty();
  if (mode == "never") {
    if (own)
      throw ConfigError(paths_.checkpoints + ": holds checkpoints, and run.resume is never; use another run.dir");
    return std::nullopt;
  }
  if (own) return checkpointer_->restore_latest(parts);
  const std::string path = resolve_checkpoint(mode);
  load_checkpoint(path, parts);  // a damaged checkpoint named by the user is an error, not skipped
  return path;
}

void Trainer::resume() {
  state_.loss_scale.scale = scaler_->initial_scale();       // a checkpoint overrides it
  if (comm_.is_main()) checkpointer_->remove_unfinished();  // only rank 0 writes checkpoints
  const auto from = restore();
  data_.order->set_position(state_.data);
  if (comm_.is_main()) metrics_ = std::make_unique<MetricsSink>(paths_.metrics, state_.step);
  if (comm_.is_main() && config_.log.tensorboard) {
    tensorboard_ = std::make_unique<TensorBoardWriter>(paths_.tensorboard, state_.step);
  }
  if (from) spdlog::info("resumed from {} at step {}", *from, state_.step);
  if (!config_.run.init_from.empty()) {
    if (from) {
      spdlog::info("run.init_from ignored: this run continues from its own checkpoint");
    } else {
      init_weights_from(config_.run.init_from);
    }
  }
}

// The loop: phase -> learning rate -> step -> metrics -> validation -> checkpoint -> stop?
void Trainer::run() {
  resume();
  if (state_.step >= config_.train.steps) {
    spdlog::info("run already complete at step {}", state_.step);
    return;
  }
  training_begins();  // the start-up watchdog ends: a stop signal now ends a step with a checkpoint
  while (state_.step < config_.train.steps) {
    enter_phase(state_.step);
    const double lr = learning_rate(config_.train.lr_schedule, config_.train.optimizer.lr, state_.step,
                                    config_.train.steps);
    set_learning_rate(*optimizer_, lr);
    const StepStats stats = train_step();
    record_step(stats, lr);
    const bool saved = due(config_.checkpoint.every);
    if (!saved && due(config_.dist.check_replicas_every)) check_replicas();  // save() checks too
    if (due(config_.eval.every)) validate();
    if (saved) save();
    stop_if_requested(saved);
  }
}

void Trainer::enter_phase(int64_t step) {
  const size_t index = phases_->index_at(step);
  const auto& phase = phases_->phase(index);
  model_->set_attention_mode(phase.attention);
  if (index != phase_ || step == 0) {
    progress_->note("phase '" + phase.name + "' (" + attn::attention_mode_name(phase.attention) +
                    " attention) from step " + std::to_string(step) + " to " + std::to_string(phases_->end(index)));
  }
  phase_ = index;
}

// The data of step `step` (0-based) on this rank: the next global batch of the training order,
// this rank's slice of it cut into micro-batches, and their augmentation seeds.
StepPlan Trainer::plan_step(int64_t step) {
  const int64_t local_batch = this->local_batch(), micro = micro_batch();
  const auto global_indices = data_.order->next(config_.train.batch_size);
  const int64_t shard_begin = comm_.rank() * local_batch;  // this rank's slice of the global batch
  StepPlan plan;
  for (int64_t first = shard_begin; first < shard_begin + local_batch; first += micro) {
    plan.indices.emplace_back(global_indices.begin() + first, global_indices.begin() + first + micro);
    plan.seeds.push_back(augment_seed(step, first));
  }
  plan.position_after = data_.order->position();
  return plan;
}

// this step's batches (the next step's start building) -> gradients of every micro-batch ->
// average gradients over ranks (the last backward already starts it, dist.overlap) -> cost and
// global loss -> clip, finite check, optimizer step -> advance step and data position.
StepStats Trainer::train_step() {
  const auto start = std::chrono::steady_clock::now();
  const StepBatches batches = take_batches();
  optimizer_->zero_grad();
  const LocalLoss local = accumulate_gradients(batches);
  hooks_->after_backward(state_.step + 1);
  grad_sync_->average();
  StepStats stats = step_cost(batches);
  stats.targets = local.targets * comm_.world_size();  // shards are equal
  stats.loss = comm_.all_reduce_sum(local.sum) / static_cast<double>(stats.targets);
  if (unscale_and_update(stats)) {
    stats.grad_norm = clip_gradients(*model_, config_.train.optimizer.clip_norm);
    if (check_finite(stats)) {
      optimizer_->step();
    } else {
      stats.skipped = true;
    }
  }
  if (stats.skipped) ++state_.skips.steps;
  ++state_.step;
  hooks_->after_update(*model_, state_.step);
  state_.targets += stats.targets;
  state_.data = batches.position_after;
  stats.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return stats;
}

// This step's batches, built ahead on the pipeline's thread; the next step's start building.
StepBatches Trainer::take_batches() {
  if (!batches_->has_prefetched()) batches_->prefetch(plan_step(state_.step));
  StepBatches batches = batches_->take();
  if (state_.step + 1 < config_.train.steps) batches_->prefetch(plan_step(state_.step + 1));
  return batches;
}

// For each micro-batch: the step's SSA draws, forward, loss / rank targets, backward.
Trainer::LocalLoss Trainer::accumulate_gradients(const StepBatches& batches) {
  const size_t micro_count = batches.micro_batches.size();
  const at::Tensor step_draws = model_->sampler().state();  // one SSA draw per layer per step
  LocalLoss local;
  for (size_t i = 0; i < micro_count; ++i) {
    model_->sampler().set_state(step_draws);  // every micro-batch sees the same sources
    const auto batch = batches.micro_batches[i].to(device_);
    models::LossOutput out;
    {
      compat::AutocastScope autocast(device_.type(), autocast_dtype_.value_or(at::kFloat), autocast_dtype_.has_value());
      out = model_->loss(batch);
    }
    // Every micro-batch holds the same number of targets, so this is the mean over the rank's batch.
    const double normalizer = static_cast<double>(out.count) * static_cast<double>(micro_count);
    const at::Tensor loss_sum = hooks_->micro_batch_loss(out.sum, state_.step + 1);
    const bool last_micro_batch = i + 1 == micro_count;
    if (last_micro_batch) hooks_->before_last_backward(*model_, state_.step + 1);
    if (last_micro_batch && config_.dist.overlap) grad_sync_->arm_for_last_backward();
    loss_sum.div(normalizer).mul(state_.loss_scale.scale).backward();
    local.sum += loss_sum.item<double>();
    local.targets += out.count;
  }
  return local;
}

// FLOPs of the step as run and with every layer dense (the paper's C), and the attention fraction
// of its SSA draws, from the shapes of the first micro-batch (all have the same).
StepStats Trainer::step_cost(const StepBatches& batches) const {
  StepStats stats;
  const double forward_passes = static_cast<double>(comm_.world_size() * batches.micro_batches.size());
  const data::Batch& batch = batches.micro_batches.front();
  stats.flops = 3.0 * forward_passes * model_->forward_flops(batch, /*dense_attention=*/false);
  stats.dense_flops = 3.0 * forward_passes * model_->forward_flops(batch, /*dense_attention=*/true);
  stats.attention_fraction = model_->last_attention_fraction();
  return stats;
}

// With loss scaling: gradients back to true scale; an overflow skips the step and backs off the
// scale (expected now and then in fp16), a collapsing scale means divergence. True: go on.
bool Trainer::unscale_and_update(StepStats& stats) {
  if (!scaler_->enabled()) return true;
  const bool finite = scaler_->unscale_gradients(model_->parameters(), state_.loss_scale);
  scaler_->update(state_.loss_scale, finite);
  if (finite) return true;
  stats.skipped = true;
  if (state_.loss_scale.scale < config_.train.loss_scale.min_scale) {
    throw Error(ExitCode::kDiverged, fmt::format("step {}: loss scale fell to {} after repeated non-finite gradients; "
                                                 "stopped, last checkpoint kept",
                                                 state_.step + 1, state_.loss_scale.scale));
  }
  spdlog::warn("step {}: non-finite gradients at loss scale {}; step skipped, scale now {}", state_.step + 1,
               state_.loss_scale.scale / config_.train.loss_scale.backoff_factor, state_.loss_scale.scale);
  return false;
}

// The loss is the global mean and the gradients are already averaged, so every rank reaches the
// same decision. Returns false to skip this step, within train.max_nonfinite_skips (in a row) and
// train.max_nonfinite_skips_total (whole run); past either the run stops as diverged.
bool Trainer::check_finite(const StepStats& stats) {
  SkipCounts& skips = state_.skips;
  if (std::isfinite(stats.loss) && std::isfinite(stats.grad_norm)) {
    skips.nonfinite_in_a_row = 0;
    return true;
  }
  const std::string what = fmt::format("step {}, rank {}: non-finite {} (loss {}, grad norm {})", state_.step + 1,
                                       comm_.rank(), nonfinite_culprit(stats), stats.loss, stats.grad_norm);
  const int64_t max_in_a_row = config_.train.max_nonfinite_skips, max_total = config_.train.max_nonfinite_skips_total;
  if (skips.nonfinite_in_a_row >= max_in_a_row) {
    throw Error(ExitCode::kDiverged, what + "; stopped before the optimizer step, last checkpoint kept");
  }
  if (skips.nonfinite >= max_total) {
    throw Error(ExitCode::kDiverged, fmt::format("{}; the run has skipped {} such steps already "
                                                 "(train.max_nonfinite_skips_total); stopped before the optimizer "
                                                 "step, last checkpoint kept",
                                                 what, skips.nonfinite));
  }
  ++skips.nonfinite_in_a_row;
  ++skips.nonfinite;
  spdlog::warn("{}; step skipped ({} of at most {} in a row, {} of at most {} in the run)", what,
               skips.nonfinite_in_a_row, max_in_a_row, skips.nonfinite, max_total);
  return false;
}

// "loss" when the loss is non-finite, else "gradient of <the first parameter with a non-finite
// gradient>".
std::string Trainer::nonfinite_culprit(const StepStats& stats) const {
  if (!std::isfinite(stats.loss)) return "loss";
  for (const auto& p : model_->named_parameters()) {
    if (p.value().grad().defined() && !at::isfinite(p.value().grad()).all().item<bool>()) {
      return "gradient of " + p.key();
    }
  }
  return "gradient";
}

void Trainer::record_step(const StepStats& stats, double lr) {
  const std::string phase = phases_->phase(phase_).name;
  const double targets_per_s = static_cast<double>(stats.targets) / std::max(stats.seconds, 1e-9);
  progress_->step(state_.step, phase, stats.loss, lr, targets_per_s);
  if (!due(config_.log.every)) return;
  JsonLine line;
  line.add("step", state_.step)
      .add("event", "train")
      .add("phase", phase)
      .add("loss", stats.loss)
      .add("lr", lr)
      .add("grad_norm", stats.grad_norm)
      .add("targets", state_.targets)
      .add("step_time_s", stats.seconds)
      .add("targets_per_s", targets_per_s)
      .add("attention_fraction", stats.attention_fraction)
      .add("flops", stats.flops)
      .add("flops_vs_dense", stats.flops / stats.dense_flops)
      .add("loss_scale", state_.loss_scale.scale)
      .add("skipped", stats.skipped ? 1 : 0)
      .add("skipped_steps", state_.skips.steps)
      .add("peak_rss_mb", peak_rss_mb());
  const auto cuda_peak_mb = take_cuda_peak_allocated_mb(device_);  // since the previous train line
  if (cuda_peak_mb) line.add("cuda_peak_mb", *cuda_peak_mb);
  write_metrics(line);
}

void Trainer::validate() {
  const EvalResult r = evaluate(*model_, *data_.valid, config::task_of(config_), config_.eval, device_, comm_,
                                {ensemble_seed(config_.run.seed)});  // this rank's share of the batches
  if (!all_finite(r)) {
    spdlog::warn(
        "step {}: validation scores are not finite (valid_loss {}); logged as null, and training goes on "
        "as its own loss decides (train.max_nonfinite_skips)",
        state_.step, r.dense.loss);
  }
  state_.best_valid_loss = std::min(state_.best_valid_loss, r.dense.loss);  // a NaN loss leaves the best as it was
  JsonLine line;
  line.add("step", state_.step).add("event", "eval").add("phase", phases_->phase(phase_).name);
  line.add("valid_loss", r.dense.loss);
  std::string summary = fmt::format("validation loss {:.4f}", r.dense.loss);
  for (const auto& [name, value] : r.dense.metrics) {
    line.add("valid_" + name, value);
    summary += fmt::format(", {} {:.4f}", name, value);
  }
  line.add("valid_targets", r.targets);
  if (!r.ensemble.empty()) {
    const auto& e = r.ensemble.back();
    line.add("ensemble_samples", e.samples).add("ensemble_valid_loss", e.score.loss);
    for (const auto& [name, value] : e.score.metrics) line.add("ensemble_valid_" + name, value);
    summary += fmt::format("; {}-sample ensemble loss {:.4f}", e.samples, e.score.loss);
  }
  write_metrics(line);
  progress_->note(fmt::format("step {}: {}", state_.step, summary));
}

// All ranks must hold bitwise the same parameters; a difference ends the job (exit 5), naming
// the ranks. A single process has no replicas to compare: no hashing.
void Trainer::check_replicas() {
  if (comm_.world_size() == 1) return;
  const uint64_t fingerprint = grad_sync_->check_replicas_identical(state_.step);
  spdlog::info(
      "step {}: parameters bitwise identical on {} ranks (fingerprint {:016x}); last step started {} "
      "of {} gradient buckets during backward",
      state_.step, comm_.world_size(), fingerprint, grad_sync_->buckets_started_in_backward(),
      grad_sync_->bucket_count());
}

// Every rank contributes its random streams; rank 0 writes; all continue together.
void Trainer::save() {
  check_replicas();
  const RankRng mine = current_rng(*model_);
  const auto torch_states = comm_.all_gather(mine.torch_cpu);
  const auto sampler_states = comm_.all_gather(mine.ssa_sampler);
  const auto cuda_states = device_.is_cuda() ? comm_.all_gather(mine.torch_cuda)  // CPU runs: empty states
                                             : std::vector<at::Tensor>(torch_states.size(), mine.torch_cuda);
  // Only rank 0 writes, perhaps with retries: the others wait as for slow data loading.
  dist::run_agreeing(
      comm_, "writing the checkpoint of step " + std::to_string(state_.step),
      [&] {
        if (!comm_.is_main()) return;
        std::vector<RankRng> all;
        for (size_t r = 0; r < torch_states.size(); ++r)
          all.push_back({torch_states[r], sampler_states[r], cuda_states[r]});
        const SaveFaults faults(faults_, state_.step, comm_.rank());  // SSA_FAULT, tests only
        checkpointer_->save({*model_, optimizer_.get(), state_, all},
                            {[&](int64_t attempt) { faults.before_attempt(attempt); }, [&] { faults.before_rename(); }});
      },
      dist::Patience::kSlowRanks);
  progress_->note("checkpoint saved at step " + std::to_string(state_.step));
}

// All ranks agree: if any rank was signalled or ran out of time, every rank stops after this
// same step, the checkpoint is written once, and the process exits with kStopped.
void Trainer::stop_if_requested(bool already_saved) {
  const std::string reason = stop_request_.reason();
  if (comm_.all_reduce_max(reason.empty() ? 0.0 : 1.0) == 0.0 || state_.step >= config_.train.steps) return;
  if (!already_saved) save();
  throw Error(ExitCode::kStopped,
              fmt::format("stopped at step {} ({} on {}); checkpoint saved, re-run the same command to resume",
                          state_.step, reason.empty() ? "requested" : reason,
                          reason.empty() ? "another rank" : "rank " + std::to_string(comm_.rank())));
}

void Trainer::write_metrics(const JsonLine& line) {
  if (metrics_) metrics_->write(line);
  if (tensorboard_) tensorboard_->write(line);
}

// Seeds the training transforms of the micro-batch starting at `first` in the global batch: the
// same examples get the same augmentation whatever the rank count, and resume repeats it exactly.
uint64_t Trainer::augment_seed(int64_t step, int64_t first) const {
  const uint64_t run = mix_seed(static_cast<uint64_t>(config_.run.seed), kAugmentSalt);
  return mix_seed(mix_seed(run, static_cast<uint64_t>(step)), static_cast<uint64_t>(first));
}

// Sequences per optimizer step on this rank: the global batch split evenly over ranks.
int64_t Trainer::local_batch() const { return config_.train.batch_size / comm_.world_size(); }

// Sequences per forward pass: train.micro_batch_size, or the whole rank batch when it is 0.
int64_t Trainer::micro_batch() const {
  return config_.train.micro_batch_size > 0 ? config_.train.micro_batch_size : local_batch();
}

// True after the step that completes a multiple of `every`, and after the last step.
bool Trainer::due(int64_t every) const {
  if (state_.step == config_.train.steps) return true;
  return every > 0 && state_.step % every == 0;
}

}  // namespace ssa::train
