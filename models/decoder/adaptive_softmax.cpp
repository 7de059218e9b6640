// Tied adaptive softmax (see adaptive_softmax.h).
#include "models/decoder/adaptive_softmax.h"

#include <ATen/ATen.h>
#include <torch/nn/functional/dropout.h>
#include <torch/nn/init.h>

namespace ssa::models {
namespace F = torch::nn::functional;

AdaptiveSoftmaxImpl::AdaptiveSoftmaxImpl(AdaptiveInput input, int64_t d_model, double dropout)
    : input_(std::move(input)), d_model_(d_model), dropout_(dropout) {
  const int64_t clusters = input_->bands().count() - 1;
  class_proj = register_module("class_proj", torch::nn::Linear(torch::nn::LinearOptions(d_model, clusters).bias(false)));
  torch::nn::init::xavier_uniform_(class_proj->weight);
}

at::Tensor AdaptiveSoftmaxImpl::drop(const at::Tensor& x) const {
  return F::dropout(x, F::DropoutFuncOptions().p(dropout_).training(is_training()));
}

at::Tensor AdaptiveSoftmaxImpl::head_log_probs(const at::Tensor& hidden) const {
  const auto words = at::linear(hidden, input_->embeddings[0]->weight);                             // (N, V0)
  const auto clusters = at::linear(hidden, class_proj->weight);                                     // (N, K)
  return at::log_softmax(at::cat({words, clusters.to(words.scalar_type())}, 1).to(at::kFloat), 1);  // (N, V0 + K)
}

at::Tensor AdaptiveSoftmaxImpl::tail_log_probs(const at::Tensor& hidden, int64_t tail) const {
  const auto band = static_cast<size_t>(tail) + 1;
  const auto down = at::linear(hidden, input_->projections[band]->weight.t());   // (n, dim): tied, transposed
  const auto logits = at::linear(drop(down), input_->embeddings[band]->weight);  // (n, size)
  return at::log_softmax(logits.to(at::kFloat), 1);
}

at::Tensor AdaptiveSoftmaxImpl::target_log_probs(const at::Tensor& hidden, const at::Tensor& target) {
  const auto& bands = input_->bands();
  const int64_t head_words = bands.edges[1];
  const auto x = drop(hidden);               // (N, C)
  const auto band = band_of(target, bands);  // (N)
  // Band-0 words score themselves; tail words score their cluster (index head_words + band - 1).
  const auto head_index = at::where(band.eq(0), target, band + (head_words - 1));  // (N)
  auto out = head_log_probs(x).gather(1, head_index.unsqueeze(1)).squeeze(1);      // (N)
  for (int64_t tail = 0; tail + 1 < bands.count(); ++tail) {
    const auto rows = band.eq(tail + 1).nonzero().squeeze(1);  // (n)
    if (rows.numel() == 0) continue;
    const auto local = (target.index_select(0, rows) - bands.edges[static_cast<size_t>(tail) + 1]).unsqueeze(1);
    const auto word = tail_log_probs(x.index_select(0, rows), tail).gather(1, local).squeeze(1);  // (n)
    out = out.index_add(0, rows, word);
  }
  return out;
}

at::Tensor AdaptiveSoftmaxImpl::log_probs(const at::Tensor& hidden) {
  const auto& bands = input_->bands();
  const int64_t head_words = bands.edges[1];
  const auto x = drop(hidden);
  const auto head = head_log_probs(x);  // (N, V0 + K)
  std::vector<at::Tensor> parts = {head.slice(1, 0, head_words)};
  for (int64_t tail = 0; tail + 1 < bands.count(); ++tail) {
    const auto prior = head.slice(1, head_words + tail, head_words + tail + 1);  // (N, 1)
    parts.push_back(tail_log_probs(x, tail) + prior);                            // (N, size)
  }
  return at::cat(parts, 1);  // (N, V)
}

double AdaptiveSoftmaxImpl::flops(const at::Tensor& target) const {
  const auto& bands = input_->bands();
  const auto n = static_cast<double>(target.numel());
  const auto d = static_cast<double>(d_model_);
  double total = 2.0 * n * d * static_cast<double>(bands.edges[1] + bands.count() - 1);  // head
  const auto counts = at::bincount(band_of(target.reshape({-1}), bands).cpu(), {}, bands.count());
  for (int64_t tail = 0; tail + 1 < bands.count(); ++tail) {
    const auto dim = static_cast<double>(bands.dims[static_cast<size_t>(tail) + 1]);
    const auto words = static_cast<double>(counts[tail + 1].item<int64_t>());
    total += 2.0 * words * dim * (d + static_cast<double>(bands.size(tail + 1)));
  }
  return total;
}

}  // namespace ssa::models
