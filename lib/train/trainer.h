// The training loop. Reads top-down like the algorithm; every line calls a named component.
// Built in named steps (data, model, optimizer, checkpoint) from the typed experiment config.
#pragma once
#include <memory>
#include <optional>

#include <torch/optim/adamw.h>

#include "lib/config/experiment_config.h"
#include "lib/data/task_data.h"
#include "lib/dist/communicator.h"
#include "lib/dist/gradient_sync.h"
#include "lib/train/checkpointer.h"
#include "lib/train/fault_injection.h"
#include "lib/train/step_hooks.h"
#include "lib/train/loss_scaler.h"
#include "lib/train/batch_pipeline.h"
#include "lib/train/metrics_sink.h"
#include "lib/train/tensorboard_writer.h"
#include "lib/train/phase_schedule.h"
#include "lib/train/progress.h"
#include "lib/train/run_dir.h"
#include "lib/train/stop_request.h"
#include "lib/train/train_state.h"
#include "models/model.h"

namespace ssa::train {

struct StepStats {
  double loss = 0;       // mean NLL per target token, nats
  double grad_norm = 0;  // before clipping
  double seconds = 0;
  int64_t targets = 0;            // tokens, sub-pixels, images or graphs in this step
  double attention_fraction = 1;  // of the dense attention matrix, averaged over layers
  double flops = 0;               // forward + backward (3 x forward), this step
  double dense_flops = 0;         // the same step with every layer dense (the paper's C baseline)
  bool skipped = false;           // no update: a loss-scale overflow, or a non-finite step within the skip budgets
};

class Trainer {
 public:
  // Every rank of `comm` constructs a Trainer with the data it loaded (load_data) and calls
  // run(); rank 0 writes the outputs.
  Trainer(const config::ExperimentConfig& config, const RunPaths& paths, dist::Communicator& comm, data::TaskData data);
  void run();

 private:
  void build_model();
  void build_precision();
  void build_optimizer();
  void check_disk_space();
  void resume();
  std::optional<std::string> restore();
  void init_weights_from(const std::string& path);
  void enter_phase(int64_t step);
  struct LocalLoss {
    double sum = 0;  // summed NLL of this rank's targets
    int64_t targets = 0;
  };
  StepStats train_step();
  StepBatches take_batches();
  LocalLoss accumulate_gradients(const StepBatches& batches);
  StepStats step_cost(const StepBatches& batches) const;
  StepPlan plan_step(int64_t step);
  bool check_finite(const StepStats& stats);
  std::string nonfinite_culprit(const StepStats& stats) const;
  bool unscale_and_update(StepStats& stats);
  void record_step(const StepStats& stats, double lr);
  void validate();
  void check_replicas();
  void save();
  void stop_if_requested(bool already_saved);
  void write_metrics(const JsonLine& line);
  bool due(int64_t every) const;
  int64_t local_batch() const;
  int64_t micro_batch() const;
  uint64_t augment_seed(int64_t step, int64_t first) const;

  config::ExperimentConfig config_;
  RunPaths paths_;
  dist::Communicator& comm_;
  at::Device device_;
  data::TaskData data_;
  std::shared_ptr<models::Model> model_;
  std::unique_ptr<torch::optim::AdamW> optimizer_;
  std::unique_ptr<dist::GradientSync> grad_sync_;
  std::unique_ptr<PhaseSchedule> phases_;
  std::unique_ptr<Checkpointer> checkpointer_;
  std::unique_ptr<MetricsSink> metrics_;            // rank 0 only
  std::unique_ptr<TensorBoardWriter> tensorboard_;  // rank 0, with log.tensorboard
  std::unique_ptr<Progress> progress_;
  std::unique_ptr<BatchPipeline> batches_;
  StopRequest stop_request_;
  FaultInjection faults_;                         // test-only, from $SSA_FAULT
  std::unique_ptr<StepHooks> hooks_;              // named points of the step; SSA_FAULT's faults, else none
  std::optional<at::ScalarType> autocast_dtype_;  // forward precision; nullopt = fp32
  std::unique_ptr<LossScaler> scaler_;
  TrainState state_;
  size_t phase_ = 0;
};

// Sets torch's intra-op thread count from run.threads (0 = all cores) and seeds torch.
void apply_run_settings(const train::RunConfig& run);

// The train and validation Datasets of the experiment, for its task.
data::TaskData load_data(const config::ExperimentConfig& config);

// The compute device named by run.device (CUDA: GPU local_rank mod the GPU count); ConfigError
// if it is not available.
at::Device resolve_device(const train::RunConfig& run, int local_rank = 0);

}  // namespace ssa::train
