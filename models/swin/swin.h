// Swin Transformer (Liu et al. 2021; microsoft/Swin-Transformer, model-specs.md A.4): patch
// embedding, stages of shifted-window blocks with a relative position bias and the -100
// cross-region mask, patch merging, stochastic depth, LN + average pool + linear head. SSA
// subsamples sources within each window: the sub-window variant, or unbiased (Table 9).
#pragma once
#include <memory>
#include <optional>
#include <vector>

#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>

#include "lib/ssa/ssa_attention.h"
#include "models/model.h"
#include "models/swin/swin_config.h"

namespace ssa::models {

// Where a block sits: its feature map, window and shift after clipping.
struct SwinBlockGeometry {
  int64_t height = 0, width = 0;  // tokens
  int64_t window = 0;             // window side
  int64_t shift = 0;              // cyclic shift, 0 or window / 2
  int64_t dim = 0, heads = 0;
};

// (H*W) region labels partitioned into windows -> (nW, N, N) additive mask: -100 between tokens
// of different regions of a shifted window, 0 otherwise. Undefined when shift is 0.
at::Tensor shifted_window_mask(int64_t height, int64_t width, int64_t window, int64_t shift);

// (N, N) index into the (2W-1)^2 relative position bias table for a W x W window.
at::Tensor relative_position_index(int64_t window);

class SwinBlockImpl : public torch::nn::Module {
 public:
  SwinBlockImpl(const SwinBlockGeometry& geometry, const SwinConfig& config, double drop_path,
                std::optional<double> sigma_fraction, std::shared_ptr<attn::SourceSampler> sampler);
  // x: (B, H*W, C) -> (B, H*W, C)
  at::Tensor forward(const at::Tensor& x);

  SwinBlockGeometry geometry;
  torch::nn::LayerNorm norm1{nullptr}, norm2{nullptr};
  attn::SsaSelfAttention attn{nullptr};
  torch::nn::Linear fc1{nullptr}, fc2{nullptr};
  at::Tensor bias_table;  // ((2W-1)^2, heads) learned relative position bias

 private:
  attn::BiasFn window_bias(int64_t batch) const;
  double drop_path_;
  at::Tensor index_;  // (N, N) buffer
  at::Tensor mask_;   // (nW, N, N) buffer, undefined without shift
};
TORCH_MODULE(SwinBlock);

// Concatenates each 2x2 neighbourhood, LN(4C), Linear(4C -> 2C, no bias). (B, H*W, C) -> (B, H*W/4, 2C).
class PatchMergingImpl : public torch::nn::Module {
 public:
  PatchMergingImpl(int64_t height, int64_t width, int64_t dim);
  at::Tensor forward(const at::Tensor& x);
  torch::nn::LayerNorm norm{nullptr};
  torch::nn::Linear reduction{nullptr};

 private:
  int64_t height_, width_;
};
TORCH_MODULE(PatchMerging);

class Swin : public Model {
 public:
  Swin(const SwinConfig& config, uint64_t sampler_seed);

  // images: (B, C, H, W) float -> logits (B, classes)
  at::Tensor forward(const at::Tensor& images);

  LossOutput loss(const Batch& batch) override;
  Prediction prediction_kind() const override { return Prediction::kClassLogProbs; }
  at::Tensor predict(const Batch& batch) override;
  double forward_flops(const Batch& batch, bool dense_attention) const override;
  void set_attention_mode(attn::AttentionMode mode) override;
  attn::SourceSampler& sampler() override { return *sampler_; }
  double last_attention_fraction() const override;
  // Per block, in order: its geometry and whether it is an SSA layer.
  const std::vector<SwinBlock>& blocks() const { return block_list_; }
  const SwinConfig& config() const { return config_; }

 private:
  SwinConfig config_;
  std::shared_ptr<attn::SourceSampler> sampler_;
  torch::nn::Conv2d patch_embed_{nullptr};
  torch::nn::LayerNorm patch_norm_{nullptr}, final_norm_{nullptr};
  torch::nn::ModuleList layers_{nullptr};  // blocks and patch mergings in forward order
  std::vector<SwinBlock> block_list_;
  torch::nn::Linear head_{nullptr};
};

// The blocks' geometry for a config, with window clipping (a stage no larger than the window is
// one unshifted window). Throws ModelConfigError when the stages do not divide evenly.
std::vector<SwinBlockGeometry> swin_geometry(const SwinConfig& config);

// Whether a block can use SSA: its window splits into sqrt(windows)^2 equal squares (for the
// unbiased variant too, so Table 9 compares the two on the same blocks).
bool swin_block_can_subsample(const SwinBlockGeometry& geometry, const attn::SsaConfig& ssa);

// Per block of `geometry` (swin_geometry's, over all stages): its SSA sigma fraction, or none for a
// dense block (ssa.layers counts the blocks that can subsample, from the last one back).
std::vector<std::optional<double>> swin_ssa_plan(const std::vector<SwinBlockGeometry>& geometry,
                                                 const attn::SsaConfig& ssa);

}  // namespace ssa::models
