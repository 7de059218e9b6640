// The Edge-augmented Graph Transformer for molecular graph regression (egt_pytorch's EGT_MOL with
// the PCQM4Mv2 head): OGB atom and bond embeddings, SVD positional encodings, shortest-path edge
// embeddings, prepended virtual nodes (VNs), EGT layers (EGT-Simple or full), and an MLP on the
// VN outputs trained with L1. Graph SSA (lib/ssa/graph_sampling.h) subsamples the sources of the
// last `ssa.layers` layers. Batches are data::Batch graph batches (see batch.h).
#pragma once
#include <memory>
#include <optional>
#include <vector>

#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>

#include "models/egt/egt_config.h"
#include "models/egt/egt_layer.h"
#include "models/model.h"

namespace ssa::models {

class Egt : public Model {
 public:
  Egt(const EgtConfig& config, uint64_t sampler_seed);

  // A graph batch -> (B) predicted targets, in the autocast dtype.
  at::Tensor forward(const Batch& batch);

  LossOutput loss(const Batch& batch) override;  // L1 summed over graphs, count = B
  Prediction prediction_kind() const override { return Prediction::kValues; }
  at::Tensor predict(const Batch& batch) override;  // (B) float32
  double forward_flops(const Batch& batch, bool dense_attention) const override;
  void set_attention_mode(attn::AttentionMode mode) override { mode_ = mode; }
  attn::SourceSampler& sampler() override { return *sampler_; }
  double last_attention_fraction() const override;

  // One entry per layer: nullopt for a dense layer, else the sigma fraction (used by kLocal).

 private:
  void check_batch(const Batch& batch) const;
  at::Tensor node_embedding(const Batch& batch);                                     // (B, N, d_h)
  at::Tensor edge_embedding(const Batch& batch);                                     // (B, N, N, d_e)
  EgtStreams prepend_virtual_nodes(const at::Tensor& h, const at::Tensor& e) const;  // P = V + N
  // The sample of a layer: dense, or drawn from the sampler (order: graph order, for kLocal).
  attn::GraphSample layer_sample(size_t layer, const Batch& batch, std::optional<at::Tensor>& order);
  at::Tensor readout(const at::Tensor& h);  // (B, P, d_h) -> (B)

  EgtConfig config_;
  std::shared_ptr<attn::SourceSampler> sampler_;
  attn::AttentionMode mode_ = attn::AttentionMode::kSubsampled;
  std::vector<std::optional<double>> plan_;
  std::vector<double> last_fractions_;  // per layer, of the last forward

  torch::nn::Embedding node_embed_{nullptr}, distance_embed_{nullptr}, bond_embed_{nullptr};
  torch::nn::Linear svd_embed_{nullptr};
  at::Tensor vn_nodes_;  // (V, d_h) learned VN node vectors
  at::Tensor vn_edges_;  // (V, d_e) VN v's edge vector, for row v and column v; VN-VN pairs take the mean
  torch::nn::ModuleList layers_{nullptr};
  std::vector<EgtLayer> layer_list_;
  torch::nn::LayerNorm final_norm_{nullptr};
  torch::nn::ModuleList mlp_{nullptr};  // 3 x Linear: V d_h -> d_h -> d_h -> 1, ELU between
  std::vector<torch::nn::Linear> mlp_list_;
};

}  // namespace ssa::models
