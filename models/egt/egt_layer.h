// One EGT layer (egt_pytorch's EGT_Layer with node updates): pre-LN gated attention whose bias E
// and gates G are read from the edge stream, the degree scaler, the node FFN, and in full EGT the
// edge update. The sources of every target come from an attn::GraphSample; keys, values and edge
// pairs are gathered at them, so graph SSA shrinks the attention work instead of masking it.
#pragma once
#include <cstdint>

#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>

#include "lib/ssa/graph_sampling.h"

namespace ssa::models {

struct EgtLayerOptions {
  int64_t d_node = 0;
  int64_t d_edge = 0;
  int64_t heads = 0;
  int64_t virtual_nodes = 0;  // positions [0, V) are VNs: degree scaler 1 as targets
  int64_t d_ffn = 0;
  int64_t d_edge_ffn = 0;  // edge_update only
  double attention_dropout = 0.0;
  double clip_logits = 5.0;
  bool scale_degree = true;
  bool edge_update = false;     // full EGT: e += O_e(H_hat), then the edge FFN
  bool rescale_degree = false;  // see attn::GraphSsaConfig::rescale_degree
};

// The two streams over P = V + N positions (VNs first).
struct EgtStreams {
  at::Tensor h;  // (B, P, d_h) nodes
  at::Tensor e;  // (B, P, P, d_e) edges: e[b, i, j] is the pair (target i, source j)
};

class EgtLayerImpl : public torch::nn::Module {
 public:
  explicit EgtLayerImpl(const EgtLayerOptions& options);

  // real_nodes: (B) float, real nodes per graph (only read when rescale_degree). With SSA, full
  // EGT updates the edges of the computed (target, source) pairs only; the edge FFN sees all pairs.
  EgtStreams forward(const EgtStreams& x, const attn::GraphSample& sample, const at::Tensor& real_nodes);

  bool edge_update() const { return options_.edge_update; }

  torch::nn::LayerNorm node_norm{nullptr}, edge_norm{nullptr}, ffn_norm{nullptr}, edge_ffn_norm{nullptr};
  torch::nn::Linear qkv{nullptr}, bias{nullptr}, gate{nullptr}, out{nullptr}, fc1{nullptr}, fc2{nullptr};
  torch::nn::Linear edge_out{nullptr}, edge_fc1{nullptr}, edge_fc2{nullptr};  // edge_update only

 private:
  // e: (B, P, P, d_e); logits: (B, G, H, T, S); targets: (B, G, T). The updated edge stream.
  at::Tensor update_edges(const at::Tensor& e, const at::Tensor& logits, const attn::GraphSample& sample,
                          const at::Tensor& targets);
  // (B, G, H, T) log(1 + degree), 1 on VN target rows. gates: (B, G, H, T, S), 0 on invalid slots.
  at::Tensor degree_scaler(const at::Tensor& gates, const attn::GraphSample& sample, const at::Tensor& targets,
                           const at::Tensor& real_nodes) const;

  EgtLayerOptions options_;
};
TORCH_MODULE(EgtLayer);

}  // namespace ssa::models
