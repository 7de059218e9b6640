// Saves and restores everything a run needs to continue exactly: model, optimizer, train state,
// RNG states (torch's default CPU generator for dropout, the SSA sampler) and the data position.
// Each checkpoint is a directory checkpoints/step_NNNNNNNN/, written under a .tmp name, fsynced,
// renamed, and marked COMPLETE last; only complete checkpoints are ever loaded.
#pragma once
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <torch/optim/optimizer.h>

#include "lib/train/train_state.h"
#include "models/model.h"

namespace ssa::train {

// The random streams of one rank: torch's CPU generator, the CUDA generator of the model's GPU
// (dropout there; an empty tensor on CPU runs) and the SSA sampler.
struct RankRng {
  at::Tensor torch_cpu;
  at::Tensor ssa_sampler;
  at::Tensor torch_cuda;
};

struct CheckpointParts {
  models::Model& model;
  torch::optim::Optimizer* optimizer;  // null when only weights are needed (eval)
  TrainState& state;
  std::vector<RankRng> all_ranks_rng{};  // save: every rank's streams, by rank; empty = this process's
  int rank = 0;                          // load: whose streams to restore
};

// This process's random streams, as a checkpoint stores them.
RankRng current_rng(models::Model& model);

// Called during a save, for fault injection in tests: before_attempt(k) first in attempt k = 1,
// 2, ... (it may throw: that attempt fails); before_rename once the checkpoint is complete and
// synced under its .tmp name.
struct SaveHooks {
  std::function<void(int64_t)> before_attempt;
  std::function<void()> before_rename;
};

// How often a checkpoint write is tried, and the pause before retry k (k x wait_s).
struct SaveAttempts {
  int64_t count = 1;
  double wait_s = 0;
};

class Checkpointer {
 public:
  Checkpointer(std::string checkpoints_dir, int64_t keep_last, SaveAttempts attempts = {});

  // Writes checkpoint for parts.state.step atomically, then prunes to the keep_last newest up to
  // that step; newer ones (unreadable ones the run resumed past) are renamed step_N.unreadable. A
  // failed attempt removes its partial directory, warns and is retried; the last failure throws
  // exit code 74.
  void save(const CheckpointParts& parts, const SaveHooks& hooks = {});

  // Loads the newest complete checkpoint that reads back cleanly, falling back to older ones with
  // a warning. Returns its path, or nullopt if there is none.
  std::optional<std::string> restore_latest(const CheckpointParts& parts);

  // Complete checkpoint directories, oldest first.
  std::vector<std::string> complete_checkpoints() const;

  // Deletes the step_N.tmp/ directories of saves that a kill interrupted, with a warning each
  // (rank 0, at start; a failed delete only warns).
  void remove_unfinished() const;

 private:
  void write_checkpoint(const CheckpointParts& parts, const SaveHooks& hooks);
  void prune(int64_t saved_step);
  std::string dir_;
  int64_t keep_last_;
  SaveAttempts attempts_;
};

// About the bytes of one checkpoint of `model`: its parameters and buffers (model.safetensors)
// plus AdamW's two moments per parameter (optimizer.safetensors).
int64_t estimated_checkpoint_bytes(models::Model& model);

// Throws exit code 74 when `available` bytes under `dir` cannot hold one more checkpoint of
// `needed` bytes. Returns a warning when they hold fewer than two, else "".
std::string check_free_space(const std::string& dir, int64_t needed, int64_t available);

// Loads one checkpoint directory into `parts`. Throws InputError naming the file on failure.
void load_checkpoint(const std::string& path, const CheckpointParts& parts);

// Loads only the parameters and buffers of a checkpoint directory, or of a Hugging Face LLaMA
// directory (hf_import.h), into `model` (run.init_from).
void load_weights(const std::string& path, models::Model& model);

// `path` if it is a complete checkpoint directory or a Hugging Face directory, else the newest complete checkpoint of the run
// directory `path`. InputError when there is none.
std::string resolve_checkpoint(const std::string& path);

}  // namespace ssa::train
