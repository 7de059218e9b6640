// AdamW with two parameter groups: decayed matrices, and undecayed biases, norms and embeddings.
#pragma once
#include <memory>

#include <torch/nn/module.h>
#include <torch/optim/adamw.h>

#include "lib/config/train_config.h"

namespace ssa::train {

std::unique_ptr<torch::optim::AdamW> build_optimizer(torch::nn::Module& model, const OptimizerConfig& config);

// Sets the learning rate of every group.
void set_learning_rate(torch::optim::Optimizer& optimizer, double lr);

// Global L2 norm of all gradients, then clipped to max_norm if max_norm > 0. Returns the norm
// before clipping (non-finite if any gradient is).
double clip_gradients(torch::nn::Module& model, double max_norm);

}  // namespace ssa::train
