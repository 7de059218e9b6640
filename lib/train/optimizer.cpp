// Optimizer construction and gradient clipping (see optimizer.h).
#include "lib/train/optimizer.h"

#include <limits>

#include <torch/nn/utils/clip_grad.h>

namespace ssa::train {
namespace {

bool decays(const std::string& name, const at::Tensor& p) {
  const bool is_norm = name.find("norm") != std::string::npos;
  const bool is_embedding = name.rfind("embed", 0) == 0;
  return p.dim() >= 2 && !is_norm && !is_embedding;
}

}  // namespace

std::unique_ptr<torch::optim::AdamW> build_optimizer(torch::nn::Module& model, const OptimizerConfig& c) {
  std::vector<at::Tensor> with_decay, without_decay;
  for (const auto& item : model.named_parameters()) {
    (decays(item.key(), item.value()) ? with_decay : without_decay).push_back(item.value());
  }
  const auto options = [&](double weight_decay) {
    return std::make_unique<torch::optim::AdamWOptions>(
        torch::optim::AdamWOptions(c.lr).betas({c.beta1, c.beta2}).eps(c.eps).weight_decay(weight_decay));
  };
  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(with_decay, options(c.weight_decay));
  groups.emplace_back(without_decay, options(0.0));
  return std::make_unique<torch::optim::AdamW>(groups, torch::optim::AdamWOptions(c.lr));
}

void set_learning_rate(torch::optim::Optimizer& optimizer, double lr) {
  for (auto& group : optimizer.param_groups()) {
    static_cast<torch::optim::AdamWOptions&>(group.options()).lr(lr);
  }
}

double clip_gradients(torch::nn::Module& model, double max_norm) {
  const double limit = max_norm > 0 ? max_norm : std::numeric_limits<double>::infinity();
  return torch::nn::utils::clip_grad_norm_(model.parameters(), limit);
}

}  // namespace ssa::train
