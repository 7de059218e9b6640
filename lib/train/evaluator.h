// Evaluation of any model on a validation Dataset: dense ("renormalized") attention always, and
// optionally a self-ensemble of N independent SSA samples (paper Sec. 5) that averages
// probabilities (language models, pixels, classes) or values (regression), with what the
// ensemble says about its own confidence (score_sums.h). The work is split over the ranks of a
// job: batch b on rank b mod world, or, with fewer batches than ranks, a batch's ensemble members
// over several ranks; every rank ends with the scores of the whole set. Member k's draws on
// batch b are seeded by (ensemble seed, b, k) alone, so any number of ranks gives the same
// ensemble up to summation order. Text validation sets are fairseq sliding windows
// (lib/data/text_datasets.h).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "lib/config/train_config.h"
#include "lib/data/dataset.h"
#include "lib/train/member_ensemble.h"
#include "lib/train/score_sums.h"
#include "models/model.h"

namespace ssa::dist {
class Collectives;
}

namespace ssa::train {

struct EnsemblePoint {
  int64_t samples = 0;
  Score score;
};

// One row per scored target (token position, image or graph), ordered by example then position.
// Columns: example_columns(kind). Ensemble columns are NaN when the ensemble is off.
using ExampleRows = at::Tensor;  // (targets, columns) float64
std::vector<std::string> example_columns(models::Prediction kind);

struct EvalResult {
  Score dense;
  std::vector<EnsemblePoint> ensemble;  // at 1, 2, 4, ... and N samples; empty when off
  int64_t targets = 0;                  // tokens, sub-pixels, images or graphs scored
  ExampleRows examples;                 // with EvalPlan::per_example, on every rank; else undefined
};

struct EvalPlan {
  uint64_t ensemble_seed = 0;  // see ensemble_seed()
  bool per_example = false;    // also collect EvalResult::examples
};

// False when a score is NaN or Inf (a model that diverged): its metrics are logged as null.
bool all_finite(const EvalResult& result);

// The ensemble seed of a run: the same in training and in `ssa-train eval`, on every rank.
uint64_t ensemble_seed(int64_t run_seed);

// Evaluates the first eval.batches x eval.batch_size indices of `valid` (all when batches = 0),
// this rank's share of them, then combines all ranks' sums. Every rank must call it. Restores the
// model's training mode and SSA sampler state afterwards.
EvalResult evaluate(models::Model& model, const data::Dataset& valid, data::Task task, const EvalConfig& config,
                    const at::Device& device, dist::Collectives& comm, const EvalPlan& plan);
// The same in a single process.
EvalResult evaluate(models::Model& model, const data::Dataset& valid, data::Task task, const EvalConfig& config,
                    const at::Device& device, const EvalPlan& plan = {});

}  // namespace ssa::train
