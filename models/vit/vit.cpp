// Vision Transformer with SSA over the patch grid (see vit.h). Init follows timm: linear weights,
// the position embedding and the class token N(0, 0.02), biases 0, LayerNorm 1/0 (eps 1e-6).
#include "models/vit/vit.h"

#include <cmath>

#include <ATen/ATen.h>
#include <torch/nn/init.h>

#include "lib/core/error.h"
#include "lib/nn/drop_path.h"
#include "lib/core/torch_compat.h"
#include "lib/ssa/ssa_layer_plan.h"
#include "models/classifier_loss.h"

namespace ssa::models {
namespace {

constexpr double kInitStd = 0.02;
constexpr double kNormEps = 1e-6;

void init_linear(torch::nn::Linear& linear) {
  torch::nn::init::normal_(linear->weight, 0.0, kInitStd);
  torch::nn::init::zeros_(linear->bias);
}

torch::nn::LayerNorm layer_norm(int64_t dim) {
  return torch::nn::LayerNorm(torch::nn::LayerNormOptions({dim}).eps(kNormEps));
}

int64_t leading_tokens(const VitConfig& c) { return c.pool == PoolKind::kCls ? 1 : 0; }

}  // namespace

int64_t vit_patch_count(const VitConfig& c) {
  if (c.image_size % c.patch_size != 0) {
    throw ModelConfigError("patch_size", "must divide model.image_size (" + std::to_string(c.image_size) + "), got " +
                                             std::to_string(c.patch_size));
  }
  const int64_t side = c.image_size / c.patch_size;
  return side * side;
}

VitAttentionImpl::VitAttentionImpl(const VitConfig& c, std::optional<double> sigma_fraction,
                                   std::shared_ptr<attn::SourceSampler> sampler)
    : heads_(c.heads),
      leading_(leading_tokens(c)),
      dropout_(c.attention_dropout),
      ssa_(c.ssa),
      sigma_fraction_(sigma_fraction),
      sampler_(std::move(sampler)) {
  qkv = register_module("qkv", torch::nn::Linear(c.dim, 3 * c.dim));
  proj = register_module("proj", torch::nn::Linear(c.dim, c.dim));
  init_linear(qkv);
  init_linear(proj);
}

at::Tensor VitAttentionImpl::attend(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v) const {
  const double scale = 1.0 / std::sqrt(static_cast<double>(q.size(-1)));
  return compat::masked_attention(q, k, v, at::Tensor(), /*is_causal=*/false, scale, dropout_, is_training());
}

at::Tensor VitAttentionImpl::subsampled(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v) {
  const int64_t batch = q.size(0), length = q.size(2), dim = q.size(3), patches = length - leading_;
  const auto sample = sampler_->sample(ssa_, patches, *sigma_fraction_);
  const int64_t windows = sample.windows;
  SSA_CHECK(!sample.targets.defined(), ExitCode::kConfig,
            "ViT SSA: variant {} lists its targets; use local_2d, "
            "local or unbiased",
            static_cast<int>(ssa_.variant));
  auto sources = sample.sources.to(q.device()) + leading_;  // (G, S) patch positions
  if (leading_ > 0) {
    sources = at::cat({at::arange(leading_, sources.options()).expand({windows, leading_}), sources}, 1);  // (G, P+S)
  }
  const int64_t kept = sources.size(1);
  const auto flat = sources.reshape({-1});
  const auto k_s = k.index_select(2, flat).view({batch, heads_ * windows, kept, dim});  // (B, H*G, S', D)
  const auto v_s = v.index_select(2, flat).view({batch, heads_ * windows, kept, dim});
  const auto q_w = q.narrow(2, leading_, patches).reshape({batch, heads_ * windows, patches / windows, dim});
  auto y = attend(q_w, k_s, v_s).reshape({batch, heads_, patches, dim});          // (B, H, N, D)
  if (leading_ > 0) y = at::cat({attend(q.narrow(2, 0, leading_), k, v), y}, 2);  // (B, H, P+N, D)
  last_fraction_ = static_cast<double>(patches * kept + leading_ * length) / static_cast<double>(length * length);
  return y;
}

at::Tensor VitAttentionImpl::forward(const at::Tensor& x) {
  const int64_t batch = x.size(0), length = x.size(1), width = x.size(2);
  // (B, T, 3C) -> 3 x (B, H, T, D)
  const auto parts = qkv(x).view({batch, length, 3, heads_, width / heads_}).permute({2, 0, 3, 1, 4}).unbind(0);
  const bool subsample = mode_ == attn::AttentionMode::kSubsampled && sigma_fraction_.has_value();
  last_fraction_ = 1.0;
  const auto y = subsample ? subsampled(parts[0], parts[1], parts[2]) : attend(parts[0], parts[1], parts[2]);
  return proj(y.transpose(1, 2).reshape({batch, length, width}));  // (B, T, C)
}

VitBlockImpl::VitBlockImpl(const VitConfig& c, double drop_path, std::optional<double> sigma_fraction,
                           std::shared_ptr<attn::SourceSampler> sampler)
    : drop_path_(drop_path), dropout_(c.dropout) {
  const auto hidden = static_cast<int64_t>(static_cast<double>(c.dim) * c.mlp_ratio);
  norm1 = register_module("norm1", layer_norm(c.dim));
  attn = register_module("attn", VitAttention(c, sigma_fraction, std::move(sampler)));
  norm2 = register_module("norm2", layer_norm(c.dim));
  fc1 = register_module("fc1", torch::nn::Linear(c.dim, hidden));
  fc2 = register_module("fc2", torch::nn::Linear(hidden, c.dim));
  init_linear(fc1);
  init_linear(fc2);
}

at::Tensor VitBlockImpl::forward(const at::Tensor& x) {
  const bool train = is_training();
  const auto y = x + nn::drop_path(attn(norm1(x)), drop_path_, train);  // (B, T, C)
  const auto hidden = at::dropout(at::gelu(fc1(norm2(y))), dropout_, train);
  return y + nn::drop_path(at::dropout(fc2(hidden), dropout_, train), drop_path_, train);
}

Vit::Vit(const VitConfig& c, uint64_t sampler_seed)
    : config_(c), sampler_(std::make_shared<attn::SourceSampler>(sampler_seed)) {
  const int64_t tokens = vit_patch_count(c) + leading_tokens(c);
  patch_embed_ = register_module(
      "patch_embed",
      torch::nn::Conv2d(torch::nn::Conv2dOptions(c.in_channels, c.dim, c.patch_size).stride(c.patch_size)));
  if (leading_tokens(c) > 0) {
    class_token_ = register_parameter("cls_token", at::empty({1, 1, c.dim}));
    torch::nn::init::normal_(class_token_, 0.0, kInitStd);
  }
  position_ = register_parameter("pos_embed", at::empty({1, tokens, c.dim}));
  torch::nn::init::normal_(position_, 0.0, kInitStd);
  blocks_ = register_module("blocks", torch::nn::ModuleList());
  const auto sigmas = attn::ssa_layer_plan(c.ssa, c.depth);
  for (int64_t i = 0; i < c.depth; ++i) {
    const double rate = nn::drop_path_rate(c.drop_path, i, c.depth);
    block_list_.emplace_back(c, rate, sigmas[static_cast<size_t>(i)], sampler_);
    blocks_->push_back(block_list_.back());
  }
  norm_ = register_module("norm", layer_norm(c.dim));
  head_ = register_module("head", torch::nn::Linear(c.dim, c.num_classes));
  init_linear(head_);
}

at::Tensor Vit::forward(const at::Tensor& images) {
  auto x = patch_embed_(images).flatten(2).transpose(1, 2);                                         // (B, N, C)
  if (class_token_.defined()) x = at::cat({class_token_.expand({x.size(0), 1, x.size(2)}), x}, 1);  // (B, 1+N, C)
  x = at::dropout(x + position_, config_.dropout, is_training());
  for (auto& held : block_list_) {
    auto* block = held.get();
    x = run_block([block](const std::vector<at::Tensor>& in) { return std::vector{block->forward(in[0])}; }, {x})[0];
  }
  x = norm_(x);
  return head_(class_token_.defined() ? x.select(1, 0) : x.mean(1));  // (B, classes)
}

LossOutput Vit::loss(const Batch& batch) { return classifier_loss(forward(batch.input), batch.target); }

at::Tensor Vit::predict(const Batch& batch) { return class_log_probs(forward(batch.input)); }

double Vit::forward_flops(const Batch& batch, bool dense_attention) const {
  const auto& c = config_;
  const auto b = static_cast<double>(batch.input.size(0)), d = static_cast<double>(c.dim);
  const auto patches = static_cast<double>(vit_patch_count(c));
  const double tokens = patches + static_cast<double>(leading_tokens(c));
  double flops = 2.0 * b * patches * static_cast<double>(c.patch_size * c.patch_size * c.in_channels) * d;
  for (const auto& block : block_list_) {
    const double fraction = dense_attention ? 1.0 : block->attn->last_attention_fraction();
    flops += 2.0 * b * tokens * (4.0 * d * d + 2.0 * d * d * c.mlp_ratio) +
             2.0 * 2.0 * b * fraction * tokens * tokens * d;
  }
  return flops + 2.0 * b * d * static_cast<double>(c.num_classes);
}

void Vit::set_attention_mode(attn::AttentionMode mode) {
  for (auto& block : block_list_) block->attn->set_mode(mode);
}

double Vit::last_attention_fraction() const {
  double sum = 0;
  for (const auto& block : block_list_) sum += block->attn->last_attention_fraction();
  return sum / static_cast<double>(block_list_.size());
}

}  // namespace ssa::models
