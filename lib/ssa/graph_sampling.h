// Graph SSA: which sources (keys, values, edge bias, gates) each target node of a padded graph
// batch attends to. Positions are on the node axis with `virtual_nodes` virtual nodes (VNs)
// prepended: VN v sits at v, real node i at virtual_nodes + i. VNs are always sources, padding
// never is. One draw per layer per step, shared by every head; each graph draws its own set,
// since graphs differ in size. Samplers draw from the SourceSampler's generator (checkpointed).
#pragma once
#include <cstdint>

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>

#include "lib/ssa/graph_ssa_config.h"

namespace ssa::attn {

// Targets are split into G groups; group g of graph b attends to sources[b][g]. Index tensors are
// padded to the largest group, with invalid slots pointing at position 0.
struct GraphSample {
  at::Tensor targets;       // (B, G, T) int64, or undefined: every position is a target, G = 1
  at::Tensor target_valid;  // (B, G, T) bool, defined with targets
  at::Tensor sources;       // (B, G, S) int64, valid slots ascending; undefined when dense
  at::Tensor source_valid;  // (B, G, S) bool; when dense, (B, 1, V + N): the VN-prepended node mask
  bool dense = false;       // every position is a source (S = V + N, in order): no gather needed

  int64_t groups() const { return source_valid.size(1); }
  GraphSample to(const c10::Device& device) const;
};

// Real source nodes kept out of n by unbiased graph SSA: ceil((1 - drop_ratio) n), at least one
// when n > 0, so no graph loses every real source (and the VNs are always kept on top).
int64_t kept_real_count(int64_t n_real, double drop_ratio);

// Every VN and real node is a source of every position. node_mask: (B, N) bool.
GraphSample dense_graph_sample(const at::Tensor& node_mask, int64_t virtual_nodes);

// Unbiased graph SSA: per graph, kept_real_count(n_b) real nodes drawn uniformly without
// replacement, plus every VN, shared by all targets (G = 1, targets undefined). Sample on CPU.
GraphSample unbiased_graph_sample(const at::Tensor& node_mask, int64_t virtual_nodes, double drop_ratio,
                                  at::Generator& generator);

// Locally biased graph SSA. order: (B, N) int64, the real nodes of each graph in graph order
// (graph_node_order), -1 after them. Per graph, targets are split along the order into `windows`
// near-equal windows; the sources are the order shuffled by localrandperm (noise std
// sigma_fraction * n_b) and split the same way; window w of targets attends to window w of
// sources plus every VN. VN v is a target of window v mod windows. Sample on CPU.
GraphSample local_graph_sample(const at::Tensor& order, int64_t virtual_nodes, int64_t windows, double sigma_fraction,
                               at::Generator& generator);

// The real nodes of each graph in BFS or reverse Cuthill-McKee order, -1 after them: (B, N) int64
// on CPU. adjacency: (B, N, N) bool (bonded pairs), node_mask: (B, N) bool.
at::Tensor graph_node_order(const at::Tensor& adjacency, const at::Tensor& node_mask, GraphOrder order);

// Score entries computed relative to dense attention over the padded batch: G T S / (V + N)^2.
double graph_attention_fraction(const GraphSample& sample, int64_t positions);

}  // namespace ssa::attn
