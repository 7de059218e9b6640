// AdamW's state as named tensors, for checkpoints (optimizer.safetensors): per parameter, by its
// module path, "<name>.step" (int64 [1]), "<name>.exp_avg", "<name>.exp_avg_sq" and, with amsgrad,
// "<name>.max_exp_avg_sq". Named by parameter, not by LibTorch's in-memory keys (tensor
// addresses), so the same state always gives the same bytes, and each tensor carries the
// safetensors checksum. The group options (lr, betas, decay) come from the config, not from here.
#pragma once
#include <string>
#include <vector>

#include <torch/optim/optimizer.h>

#include "lib/train/safetensors.h"
#include "models/model.h"

namespace ssa::train {

// The state of every parameter of `model` that has one (parameters that never had a gradient
// have none). `optimizer` must be an AdamW over model's parameters.
std::vector<NamedTensor> adamw_state_tensors(torch::optim::Optimizer& optimizer, models::Model& model);

// Replaces the optimizer's state with `stored` (moved to each parameter's device). A tensor of an
// unknown parameter, a missing moment or a shape that differs from its parameter's is an
// InputError naming `path`.
void restore_adamw_state(torch::optim::Optimizer& optimizer, models::Model& model,
                         const std::vector<NamedTensor>& stored, const std::string& path);

}  // namespace ssa::train
