// EGT layer with gather-based graph SSA (see egt_layer.h). Parameters keep PyTorch's default
// initialisation, as egt_pytorch does.
#include "models/egt/egt_layer.h"

#include <cmath>
#include <limits>

#include <ATen/ATen.h>

namespace ssa::models {
namespace {

// x: (B, P, C), index: (B, M) positions -> (B, M, C).
at::Tensor gather_positions(const at::Tensor& x, const at::Tensor& index) {
  return x.gather(1, index.unsqueeze(-1).expand({index.size(0), index.size(1), x.size(2)}));
}

// The inverse of gather_positions for positions listed at most once: (B, M, C) -> (B, P, C),
// zero where no position was listed. values must already be zero in invalid slots.
at::Tensor scatter_positions(const at::Tensor& values, const at::Tensor& index, int64_t positions) {
  const auto expanded = index.unsqueeze(-1).expand({index.size(0), index.size(1), values.size(2)});
  return at::zeros({values.size(0), positions, values.size(2)}, values.options()).scatter_add(1, expanded, values);
}

// (B, G, T) targets and (B, G, S) sources -> (B, G*T*S) flat indices into a (P, P) pair grid.
at::Tensor pair_index(const at::Tensor& targets, const at::Tensor& sources, int64_t positions) {
  const auto pairs = targets.unsqueeze(3) * positions + sources.unsqueeze(2);  // (B, G, T, S)
  return pairs.reshape({pairs.size(0), -1});
}

}  // namespace

EgtLayerImpl::EgtLayerImpl(const EgtLayerOptions& o) : options_(o) {
  using torch::nn::LayerNorm;
  using torch::nn::LayerNormOptions;
  using torch::nn::Linear;
  node_norm = register_module("node_norm", LayerNorm(LayerNormOptions({o.d_node})));
  edge_norm = register_module("edge_norm", LayerNorm(LayerNormOptions({o.d_edge})));
  qkv = register_module("qkv", Linear(o.d_node, 3 * o.d_node));
  bias = register_module("bias", Linear(o.d_edge, o.heads));  // E
  gate = register_module("gate", Linear(o.d_edge, o.heads));  // G
  out = register_module("out", Linear(o.d_node, o.d_node));   // O_h
  ffn_norm = register_module("ffn_norm", LayerNorm(LayerNormOptions({o.d_node})));
  fc1 = register_module("fc1", Linear(o.d_node, o.d_ffn));
  fc2 = register_module("fc2", Linear(o.d_ffn, o.d_node));
  if (o.edge_update) {
    edge_out = register_module("edge_out", Linear(o.heads, o.d_edge));  // O_e
    edge_ffn_norm = register_module("edge_ffn_norm", LayerNorm(LayerNormOptions({o.d_edge})));
    edge_fc1 = register_module("edge_fc1", Linear(o.d_edge, o.d_edge_ffn));
    edge_fc2 = register_module("edge_fc2", Linear(o.d_edge_ffn, o.d_edge));
  }
}

EgtStreams EgtLayerImpl::forward(const EgtStreams& x, const attn::GraphSample& s, const at::Tensor& real_nodes) {
  const int64_t batch = x.h.size(0), positions = x.h.size(1), heads = options_.heads;
  const int64_t width = options_.d_node, dim = width / heads, groups = s.groups();
  const bool all_targets = !s.targets.defined();
  const auto targets = all_targets ? at::arange(positions, s.source_valid.options().dtype(at::kLong))
                                         .view({1, 1, positions})
                                         .expand({batch, 1, positions})
                                   : s.targets;  // (B, G, T)
  const int64_t count_t = targets.size(2);
  const int64_t count_s = s.dense ? positions : s.sources.size(2);

  // Queries at the targets, keys and values at the sources, edges at the (target, source) pairs.
  const auto parts = qkv(node_norm(x.h)).split(width, -1);  // 3 x (B, P, d_h)
  const auto q = all_targets ? parts[0] : gather_positions(parts[0], targets.reshape({batch, -1}));
  const auto k = s.dense ? parts[1] : gather_positions(parts[1], s.sources.reshape({batch, -1}));
  const auto v = s.dense ? parts[2] : gather_positions(parts[2], s.sources.reshape({batch, -1}));
  const auto heads_first = [&](const at::Tensor& t, int64_t n) {  // (B, G*n, d_h) -> (B, G, H, n, D)
    return t.reshape({batch, groups, n, heads, dim}).permute({0, 1, 3, 2, 4});
  };
  const auto e_pairs = s.dense ? x.e.unsqueeze(1)
                               : x.e.reshape({batch, positions * positions, options_.d_edge})
                                     .gather(1, pair_index(targets, s.sources, positions)
                                                    .unsqueeze(-1)
                                                    .expand({batch, groups * count_t * count_s, options_.d_edge}))
                                     .view({batch, groups, count_t, count_s, options_.d_edge});  // (B, G, T, S, d_e)
  const auto e_norm = edge_norm(e_pairs);
  const auto pair_heads = [](const at::Tensor& t) { return t.permute({0, 1, 4, 2, 3}); };  // -> (B, G, H, T, S)

  // H_hat = clamp(Q K^T / sqrt(D)) + E; A = softmax(H_hat over valid sources) * sigmoid(G).
  const auto logits = at::matmul(heads_first(q, count_t), heads_first(k, count_s).transpose(-2, -1))
                          .mul(1.0 / std::sqrt(static_cast<double>(dim)))
                          .clamp(-options_.clip_logits, options_.clip_logits)
                          .add(pair_heads(bias(e_norm)));  // (B, G, H, T, S)
  const auto invalid = s.source_valid.logical_not().view({batch, groups, 1, 1, count_s});
  const auto probs = at::softmax(logits.masked_fill(invalid, -std::numeric_limits<double>::infinity()), -1);
  const auto gates = at::sigmoid(pair_heads(gate(e_norm))).masked_fill(invalid, 0.0);  // (B, G, H, T, S)
  const auto weights = at::dropout(probs * gates, options_.attention_dropout,
                                   is_training() && options_.attention_dropout > 0);
  auto attended = at::matmul(weights, heads_first(v, count_s));  // (B, G, H, T, D)
  if (options_.scale_degree) attended = attended * degree_scaler(gates, s, targets, real_nodes).unsqueeze(-1);
  auto y = attended.permute({0, 1, 3, 2, 4}).reshape({batch, groups * count_t, width});  // (B, G*T, d_h)
  if (!all_targets) {
    y = scatter_positions(y * s.target_valid.reshape({batch, -1, 1}).to(y.scalar_type()), targets.reshape({batch, -1}),
                          positions);  // (B, P, d_h)
  }

  auto h = x.h + out(y);
  h = h + fc2(at::elu(fc1(ffn_norm(h))));
  if (!options_.edge_update) return {h, x.e};
  return {h, update_edges(x.e, logits, s, targets)};
}

// E + O_e(H_hat) at the computed (target, source) pairs, then the edge FFN over every pair.
at::Tensor EgtLayerImpl::update_edges(const at::Tensor& e, const at::Tensor& logits, const attn::GraphSample& s,
                                      const at::Tensor& targets) {
  const int64_t batch = e.size(0), positions = e.size(1);
  auto delta = edge_out(logits.permute({0, 1, 3, 4, 2}));  // (B, G, T, S, d_e)
  at::Tensor updated;
  if (s.dense) {
    updated = e + delta.squeeze(1);
  } else {
    const auto pair_valid = s.targets.defined() ? s.target_valid.unsqueeze(3) & s.source_valid.unsqueeze(2)
                                                : s.source_valid.unsqueeze(2);  // (B, G, T, S)
    delta = (delta * pair_valid.unsqueeze(-1).to(delta.scalar_type())).reshape({batch, -1, options_.d_edge});
    const auto index = pair_index(targets, s.sources, positions).unsqueeze(-1).expand_as(delta);
    updated = e.reshape({batch, positions * positions, options_.d_edge}).scatter_add(1, index, delta).view_as(e);
  }
  return updated + edge_fc2(at::elu(edge_fc1(edge_ffn_norm(updated))));
}

at::Tensor EgtLayerImpl::degree_scaler(const at::Tensor& gates, const attn::GraphSample& s, const at::Tensor& targets,
                                       const at::Tensor& real_nodes) const {
  const int64_t batch = gates.size(0), groups = gates.size(1), count_s = gates.size(4);
  at::Tensor degree;  // (B, G, H, T)
  if (options_.rescale_degree && !s.dense) {
    // VN sources count once; kept real sources stand for all n_real real nodes.
    const auto is_real = s.sources.ge(options_.virtual_nodes) & s.source_valid;      // (B, G, S)
    const auto kept = is_real.sum(-1).clamp_min(1).to(gates.scalar_type());          // (B, G)
    const auto factor = real_nodes.to(gates.scalar_type()).view({batch, 1}) / kept;  // (B, G)
    const auto weight = at::where(is_real, factor.unsqueeze(-1), at::ones_like(factor).unsqueeze(-1));
    degree = (gates * weight.view({batch, groups, 1, 1, count_s})).sum(-1);
  } else {
    degree = gates.sum(-1);
  }
  const auto is_vn_target = targets.lt(options_.virtual_nodes).unsqueeze(2);  // (B, G, 1, T)
  return at::where(is_vn_target, at::ones_like(degree), at::log1p(degree));
}

}  // namespace ssa::models
