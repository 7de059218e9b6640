// The one place that turns data.* into Datasets for a task: the training split with its
// resumable order, and the validation split the evaluator walks in index order.
#pragma once
#include <cstdint>
#include <memory>

#include "lib/data/data_config.h"
#include "lib/data/dataset.h"

namespace ssa::data {

struct TaskData {
  std::shared_ptr<Dataset> train;  // shared: molecule splits share one cache
  std::shared_ptr<Dataset> valid;
  std::unique_ptr<TrainingOrder> order;  // over train's indices
};

struct TaskDataOptions {
  Task task = Task::kLanguageModel;
  int64_t vocab_size = 0;    // token tasks: every id must be below it
  int64_t eval_context = 0;  // text: sliding-window context of the validation windows
  int64_t image_side = 0;    // imagenet: the model's square input side
  int64_t num_classes = 0;   // imagenet: must match the training class directories
  uint64_t order_seed = 0;
};

TaskData load_task_data(const DataConfig& config, const TaskDataOptions& options);

}  // namespace ssa::data
