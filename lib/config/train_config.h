// Everything the trainer itself is configured with: run, optimisation, phases, evaluation,
// checkpoints and logging. Plain data with the defaults; lib/config reads and writes it.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "lib/ssa/ssa_config.h"

namespace ssa::train {

enum class DeviceKind { kCpu, kCuda };
enum class Precision { kAuto, kFp32, kBf16, kFp16 };  // auto = bf16 on CUDA, fp32 on CPU

// The config spelling of a precision ("auto", "fp32", "bf16", "fp16"), also for the log.
constexpr const char* precision_name(Precision p) {
  switch (p) {
    case Precision::kAuto: return "auto";
    case Precision::kFp32: return "fp32";
    case Precision::kBf16: return "bf16";
    case Precision::kFp16: return "fp16";
  }
  return "unknown";
}
enum class LossScaleMode { kAuto, kDynamic, kOff };  // auto = dynamic exactly when the precision is fp16

struct RunConfig {
  std::string dir;  // run directory; empty means runs/<config file stem>
  int64_t seed = 1;
  int64_t threads = 0;  // intra-op threads; 0 means every core
  DeviceKind device = DeviceKind::kCpu;
  double time_limit_s = 0;                 // stop, save and exit 143 before a step would pass this; 0 = no limit
  bool slurm_time_limit = true;            // inside a SLURM job with a limit, also stop slurm_margin_s before it
  double slurm_margin_s = 300;             // time left for the final checkpoint before SLURM's limit
  Precision precision = Precision::kAuto;  // autocast dtype
  bool deterministic = false;   // deterministic kernels only (lib/core/determinism.h); for bitwise GPU reruns
  std::string init_from;        // a fresh run starts from these weights (checkpoint or run directory)
  std::string resume = "auto";  // auto, never, or a checkpoint / run directory to continue from
};

// Dynamic loss scaling (lib/train/loss_scaler.h).
struct LossScaleConfig {
  LossScaleMode mode = LossScaleMode::kAuto;
  double init = 65536;  // initial scale
  double growth_factor = 2;
  double backoff_factor = 0.5;
  int64_t growth_interval = 2000;  // finite steps in a row before the scale grows
  double min_scale = 1e-4;         // below this the run is diverging: stop with exit code 4
};

// Data parallelism. Ranks come from the launcher's environment (lib/dist/launch_env.h);
// train.batch_size is the global batch, split evenly over ranks.
struct DistConfig {
  double timeout_s = 60;  // rendezvous and every collective; a dead rank ends the job this fast
  // Loading the data (a cache built on first use, a slow disk) and writing a checkpoint (rank 0,
  // with retries) end with an agreement through the rendezvous store that waits this long for the
  // slowest rank, not timeout_s.
  double load_timeout_s = 1800;
  double bucket_mb = 25;             // gradient all-reduce bucket size
  bool overlap = true;               // launch each bucket's all-reduce from gradient hooks while backward runs
  int64_t check_replicas_every = 0;  // steps between replica fingerprint checks; 0 = at checkpoints only
};

struct OptimizerConfig {
  double lr = 1e-3;            // peak learning rate
  double weight_decay = 0.01;  // decoupled (AdamW); never on biases, norms or embeddings
  double beta1 = 0.9;
  double beta2 = 0.98;
  double eps = 1e-8;
  double clip_norm = 1.0;  // global gradient-norm clip; 0 disables
};

enum class DecayShape { kCosine, kLinear, kConstant };

struct LrScheduleConfig {
  int64_t warmup_steps = 100;  // linear from 0 to lr
  DecayShape decay = DecayShape::kCosine;
  double min_lr = 0.0;  // reached at the last step
};

// One stretch of training; phases run in order and their fractions sum to 1.
struct PhaseConfig {
  std::string name = "main";
  double fraction = 1.0;  // share of train.steps
  attn::AttentionMode attention = attn::AttentionMode::kSubsampled;
};

struct TrainConfig {
  int64_t steps = 1000;          // optimizer steps
  int64_t batch_size = 16;       // sequences per optimizer step (all ranks together)
  int64_t micro_batch_size = 0;  // sequences per forward pass; 0 means batch_size
  // Blocks keep only their inputs and are recomputed in backward, with the same SSA sources,
  // dropout masks and drop-path rows (lib/nn/activation_checkpoint.h): less memory, more compute.
  bool activation_checkpointing = false;
  std::vector<PhaseConfig> phases = {PhaseConfig{}};
  OptimizerConfig optimizer;
  LrScheduleConfig lr_schedule;
  LossScaleConfig loss_scale;
  int64_t max_nonfinite_skips = 0;         // a non-finite loss/gradient skips the step up to this many times
                                           // in a row; one more stops the run (0: stop at the first)
  int64_t max_nonfinite_skips_total = 20;  // ... and this many over the whole run, resumes included
};

struct EvalConfig {
  int64_t every = 200;  // steps between validation passes; 0: only after the last step
  int64_t batches = 0;  // validation batches per pass; 0 means the whole split
  int64_t batch_size = 16;
  int64_t context = 0;           // sliding window: prior tokens each forward conditions on (< seq_len)
  int64_t ensemble_samples = 0;  // > 0: also a self-ensemble of this many SSA samples
};

struct CheckpointConfig {
  int64_t every = 200;        // steps between checkpoints; the last step is always saved
  int64_t keep_last = 3;      // complete checkpoints kept (>= 2)
  int64_t save_attempts = 3;  // tries at writing one checkpoint before giving up with exit 74
  double retry_wait_s = 2;    // pause before retry k: k x this (transient file system errors)
};

struct LogConfig {
  int64_t every = 10;        // steps between metrics lines
  bool progress = true;      // a live progress line when stderr is a terminal
  bool tensorboard = false;  // metrics also as TensorBoard events (lib/train/tensorboard_writer.h)
};

}  // namespace ssa::train
