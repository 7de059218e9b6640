// Vision Transformer (Dosovitskiy et al. 2021; timm's VisionTransformer): a strided-convolution
// patch embedding, an optional class token, learned position embeddings, pre-LN blocks of global
// self-attention and a GELU MLP with stochastic depth, a final LayerNorm, class-token or mean
// pooling and a linear head. SSA subsamples the patch grid in every SSA block: each window of
// patch rows attends to its sampled patches plus the class token, which attends to every token.
#pragma once
#include <memory>
#include <optional>
#include <vector>

#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>

#include "lib/ssa/source_sampler.h"
#include "models/model.h"
#include "models/vit/vit_config.h"

namespace ssa::models {

// Patch tokens of a config: (image_size / patch_size)^2; throws ModelConfigError when the patches
// do not tile the image.
int64_t vit_patch_count(const VitConfig& config);

// Multi-head self-attention over [class token, patches]: dense, or with SSA sources drawn over
// the patch grid (the class token is prepended to every window's sources and attends densely).
class VitAttentionImpl : public torch::nn::Module {
 public:
  VitAttentionImpl(const VitConfig& config, std::optional<double> sigma_fraction,
                   std::shared_ptr<attn::SourceSampler> sampler);
  // x: (B, P + N, C), P = 1 with a class token, else 0 -> (B, P + N, C)
  at::Tensor forward(const at::Tensor& x);
  void set_mode(attn::AttentionMode mode) { mode_ = mode; }
  double last_attention_fraction() const { return last_fraction_; }

  torch::nn::Linear qkv{nullptr}, proj{nullptr};

 private:
  // q: (B, H, T, D), k, v: (B, H, T, D) -> (B, H, T, D), the patches through the sampled windows.
  at::Tensor subsampled(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v);
  at::Tensor attend(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v) const;

  int64_t heads_, leading_;  // leading_: tokens before the patches (the class token)
  double dropout_;
  attn::SsaConfig ssa_;
  std::optional<double> sigma_fraction_;  // nullopt: always dense
  std::shared_ptr<attn::SourceSampler> sampler_;
  attn::AttentionMode mode_ = attn::AttentionMode::kSubsampled;
  double last_fraction_ = 1.0;
};
TORCH_MODULE(VitAttention);

class VitBlockImpl : public torch::nn::Module {
 public:
  VitBlockImpl(const VitConfig& config, double drop_path, std::optional<double> sigma_fraction,
               std::shared_ptr<attn::SourceSampler> sampler);
  at::Tensor forward(const at::Tensor& x);  // (B, T, C) -> (B, T, C)

  torch::nn::LayerNorm norm1{nullptr}, norm2{nullptr};
  VitAttention attn{nullptr};
  torch::nn::Linear fc1{nullptr}, fc2{nullptr};

 private:
  double drop_path_, dropout_;
};
TORCH_MODULE(VitBlock);

class Vit : public Model {
 public:
  Vit(const VitConfig& config, uint64_t sampler_seed);

  // images: (B, C, H, W) float -> logits (B, classes)
  at::Tensor forward(const at::Tensor& images);

  LossOutput loss(const Batch& batch) override;
  Prediction prediction_kind() const override { return Prediction::kClassLogProbs; }
  at::Tensor predict(const Batch& batch) override;
  double forward_flops(const Batch& batch, bool dense_attention) const override;
  void set_attention_mode(attn::AttentionMode mode) override;
  attn::SourceSampler& sampler() override { return *sampler_; }
  double last_attention_fraction() const override;
  const std::vector<VitBlock>& blocks() const { return block_list_; }
  const VitConfig& config() const { return config_; }

 private:
  VitConfig config_;
  std::shared_ptr<attn::SourceSampler> sampler_;
  torch::nn::Conv2d patch_embed_{nullptr};
  at::Tensor class_token_;  // (1, 1, C), undefined with mean pooling
  at::Tensor position_;     // (1, P + N, C)
  torch::nn::ModuleList blocks_{nullptr};
  std::vector<VitBlock> block_list_;
  torch::nn::LayerNorm norm_{nullptr};
  torch::nn::Linear head_{nullptr};
};

}  // namespace ssa::models
