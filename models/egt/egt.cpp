// EGT for molecules with graph SSA (see egt.h). Parameters keep PyTorch's default initialisation
// and the VN vectors are N(0, 1), as in egt_pytorch.
#include "models/egt/egt.h"

#include <cmath>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <ATen/ATen.h>

#include "lib/core/error.h"
#include "lib/ssa/ssa_layer_plan.h"

namespace ssa::models {
namespace {

constexpr int64_t kAtomFeatures = 9;  // OGB atom features per node
constexpr int64_t kAtomValues = 128;  // values per atom feature: index 1 + 128 f + v
constexpr int64_t kBondFeatures = 3;  // OGB bond features per bonded pair
constexpr int64_t kBondValues = 8;    // values per bond feature: index 1 + 8 f + v

// Throws InputError(message) when a batch check fails.
template <class... Args>
void require_input(bool ok, const char* format, const Args&... args) {
  if (!ok) throw InputError(fmt::format(format, args...));
}

std::string shape_text(const at::Tensor& t) {
  std::ostringstream out;
  out << t.sizes();
  return out.str();
}

// The SsaConfig fields that ssa_layer_plan reads, from the graph SSA section.
attn::SsaConfig layer_plan_config(const attn::GraphSsaConfig& graph) {
  attn::SsaConfig c;
  c.layers = graph.layers;
  c.sigma_first = graph.sigma_first;
  c.sigma_last = graph.sigma_last;
  return c;
}

EgtLayerOptions layer_options(const EgtConfig& c, bool edge_update) {
  EgtLayerOptions o;
  o.d_node = c.d_node;
  o.d_edge = c.d_edge;
  o.heads = c.heads;
  o.virtual_nodes = c.virtual_nodes;
  o.d_ffn = static_cast<int64_t>(std::lround(static_cast<double>(c.d_node) * c.ffn_multiplier));
  o.d_edge_ffn = static_cast<int64_t>(std::lround(static_cast<double>(c.d_edge) * c.edge_ffn_multiplier));
  o.attention_dropout = c.attention_dropout;
  o.clip_logits = c.clip_logits;
  o.scale_degree = c.scale_degree;
  o.edge_update = edge_update;
  o.rescale_degree = c.ssa.rescale_degree;
  return o;
}

}  // namespace

Egt::Egt(const EgtConfig& config, uint64_t sampler_seed)
    : config_(config), sampler_(std::make_shared<attn::SourceSampler>(sampler_seed)) {
  SSA_CHECK(config.layers >= 1 && config.virtual_nodes >= 1 && config.heads >= 1 && config.d_node % config.heads == 0,
            ExitCode::kConfig,
            "egt: needs layers >= 1, virtual_nodes >= 1 and heads dividing d_node, got {}, {}, {} / {}", config.layers,
            config.virtual_nodes, config.heads, config.d_node);
  const int64_t d = config.d_node, de = config.d_edge;
  using torch::nn::EmbeddingOptions;
  node_embed_ = register_module(
      "node_embed", torch::nn::Embedding(EmbeddingOptions(kAtomFeatures * kAtomValues + 1, d).padding_idx(0)));
  svd_embed_ = register_module("svd_embed", torch::nn::Linear(2 * config.svd_rank, d));
  distance_embed_ = register_module("distance_embed", torch::nn::Embedding(config.upto_hop + 2, de));
  bond_embed_ = register_module(
      "bond_embed", torch::nn::Embedding(EmbeddingOptions(kBondFeatures * kBondValues + 1, de).padding_idx(0)));
  vn_nodes_ = register_parameter("vn_nodes", at::randn({config.virtual_nodes, d}));
  vn_edges_ = register_parameter("vn_edges", at::randn({config.virtual_nodes, de}));
  layers_ = register_module("layers", torch::nn::ModuleList());
  for (int64_t l = 0; l < config.layers; ++l) {
    const bool edge_update = !config.egt_simple && l + 1 < config.layers;  // the last layer is node-only
    layer_list_.emplace_back(layer_options(config, edge_update));
    layers_->push_back(layer_list_.back());
  }
  final_norm_ = register_module("final_norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({d})));
  mlp_ = register_module("mlp", torch::nn::ModuleList());
  const std::vector<std::pair<int64_t, int64_t>> mlp_shapes = {{config.virtual_nodes * d, d}, {d, d}, {d, 1}};
  for (const auto& [in, out] : mlp_shapes) {
    mlp_list_.emplace_back(in, out);
    mlp_->push_back(mlp_list_.back());
  }
  plan_ = attn::ssa_layer_plan(layer_plan_config(config.ssa), config.layers);
  last_fractions_.assign(static_cast<size_t>(config.layers), 1.0);
}

void Egt::check_batch(const Batch& b) const {
  require_input(
      b.input.defined() && b.node_mask.defined() && b.edge_feat.defined() && b.distance.defined() && b.svd.defined(),
      "egt: the batch lacks graph fields (input, node_mask, edge_feat, distance, svd)");
  require_input(b.input.dim() == 3 && b.input.size(2) == kAtomFeatures,
                "egt: input must be (B, N, {}) atom features, got {}", kAtomFeatures, shape_text(b.input));
  const int64_t batch = b.input.size(0), nodes = b.input.size(1);
  const bool shapes = b.node_mask.sizes() == at::IntArrayRef({batch, nodes}) &&
                      b.edge_feat.sizes() == at::IntArrayRef({batch, nodes, nodes, kBondFeatures}) &&
                      b.distance.sizes() == at::IntArrayRef({batch, nodes, nodes}) && b.svd.dim() == 3 &&
                      b.svd.size(0) == batch && b.svd.size(1) == nodes && b.svd.size(2) % 2 == 0 &&
                      b.svd.size(2) >= 2 * config_.svd_rank;
  require_input(shapes,
                "egt: graph batch shapes node_mask {}, edge_feat {}, distance {}, svd {} do not match input {}: "
                "expected (B, N), (B, N, N, 3), (B, N, N), (B, N, 2R) with R >= {}",
                shape_text(b.node_mask), shape_text(b.edge_feat), shape_text(b.distance), shape_text(b.svd),
                shape_text(b.input), config_.svd_rank);
  const auto real = b.node_mask.to(at::kBool).unsqueeze(-1);
  require_input(!((b.input.lt(0) | b.input.ge(kAtomValues)) & real).any().item<bool>(),
                "egt: atom feature values of real nodes must lie in [0, {})", kAtomValues);
  require_input(!(b.edge_feat.lt(-1) | b.edge_feat.ge(kBondValues)).any().item<bool>(),
                "egt: bond feature values must lie in [0, {}), or be -1 for unbonded pairs", kBondValues);
}

at::Tensor Egt::node_embedding(const Batch& b) {
  const auto offsets = at::arange(kAtomFeatures, b.input.options().dtype(at::kLong)).mul(kAtomValues).add(1);  // (9)
  const auto index = (b.input.to(at::kLong) + offsets).masked_fill(b.node_mask.to(at::kBool).logical_not().unsqueeze(-1), 0);
  const auto atoms = node_embed_(index).sum(2);  // (B, N, d_h)
  // The data carry [U sqrt(S), V sqrt(S)] for R >= r components; keep the leading r of each half.
  const int64_t r = config_.svd_rank, provided = b.svd.size(2) / 2;
  auto svd = at::cat({b.svd.slice(2, 0, r), b.svd.slice(2, provided, provided + r)}, -1).to(atoms.scalar_type());  // (B, N, 2r)
  if (is_training() && config_.svd_sign_flip) {
    // One sign per graph and component, shared by u and v, from torch's default (CPU) generator.
    const auto sign = at::randint(0, 2, {b.size(), 1, config_.svd_rank}, at::kFloat).mul(2).sub(1);
    svd = svd * at::cat({sign, sign}, -1).to(svd.device(), svd.scalar_type());
  }
  return atoms + svd_embed_(svd);
}

at::Tensor Egt::edge_embedding(const Batch& b) {
  const auto hops = b.distance.to(at::kLong).clamp(0, config_.upto_hop + 1);                      // 510 -> upto_hop + 1
  const auto bond_values = b.edge_feat.to(at::kLong);                                             // (B, N, N, 3)
  const auto offsets = at::arange(kBondFeatures, bond_values.options()).mul(kBondValues).add(1);  // (3)
  const auto bonds = (bond_values + offsets).masked_fill(bond_values.lt(0), 0);                   // (B, N, N, 3)
  return distance_embed_(hops) + bond_embed_(bonds).sum(3);                                       // (B, N, N, d_e)
}

EgtStreams Egt::prepend_virtual_nodes(const at::Tensor& h, const at::Tensor& e) const {
  const int64_t batch = h.size(0), nodes = h.size(1), vns = config_.virtual_nodes, de = config_.d_edge;
  const auto node_rows = vn_nodes_.to(h.scalar_type()).unsqueeze(0).expand({batch, vns, config_.d_node});
  const auto vn_edges = vn_edges_.to(e.scalar_type());
  const auto row = vn_edges.unsqueeze(1);                                                   // (V, 1, d_e): VN target v
  const auto col = vn_edges.unsqueeze(0);                                                   // (1, V, d_e): VN source v
  const auto corner = (row + col).mul(0.5).unsqueeze(0).expand({batch, vns, vns, de});      // (B, V, V, d_e)
  const auto top = at::cat({corner, row.unsqueeze(0).expand({batch, vns, nodes, de})}, 2);  // (B, V, P, d_e)
  const auto bottom = at::cat({col.unsqueeze(0).expand({batch, nodes, vns, de}), e}, 2);    // (B, N, P, d_e)
  return {at::cat({node_rows, h}, 1), at::cat({top, bottom}, 1)};
}

attn::GraphSample Egt::layer_sample(size_t layer, const Batch& batch, std::optional<at::Tensor>& order) {
  const auto& sigma = plan_[layer];
  const auto node_mask = batch.node_mask.to(at::kBool);
  if (mode_ == attn::AttentionMode::kDense || !sigma) return attn::dense_graph_sample(node_mask, config_.virtual_nodes);
  const auto& ssa = config_.ssa;
  if (ssa.variant == attn::GraphSsaVariant::kUnbiased) {
    return attn::unbiased_graph_sample(node_mask, config_.virtual_nodes, ssa.drop_ratio, sampler_->generator())
        .to(batch.input.device());
  }
  if (!order) {
    const auto adjacency = batch.distance.eq(1) & node_mask.unsqueeze(1) & node_mask.unsqueeze(2);
    order = attn::graph_node_order(adjacency, node_mask, ssa.order);
  }
  return attn::local_graph_sample(*order, config_.virtual_nodes, ssa.windows, *sigma, sampler_->generator())
      .to(batch.input.device());
}

at::Tensor Egt::readout(const at::Tensor& h) {
  const auto vns = final_norm_(h).slice(1, 0, config_.virtual_nodes).reshape({h.size(0), -1});  // (B, V d_h)
  auto y = mlp_list_[0](vns);
  for (size_t i = 1; i < mlp_list_.size(); ++i) y = mlp_list_[i](at::elu(y));
  return y.squeeze(-1).mul(config_.target_std).add(config_.target_mean);  // (B)
}

at::Tensor Egt::forward(const Batch& batch) {
  check_batch(batch);
  auto x = prepend_virtual_nodes(node_embedding(batch), edge_embedding(batch));  // P = V + N positions
  const auto real_nodes = batch.node_mask.to(at::kBool).sum(1).to(at::kFloat);   // (B)
  const int64_t positions = x.h.size(1);
  std::optional<at::Tensor> order;
  for (size_t l = 0; l < layer_list_.size(); ++l) {
    const auto sample = layer_sample(l, batch, order);
    last_fractions_[l] = attn::graph_attention_fraction(sample, positions);
    auto* layer = layer_list_[l].get();
    const auto streams = run_block(
        [layer, sample, real_nodes](const std::vector<at::Tensor>& in) {
          const auto out = layer->forward({in[0], in[1]}, sample, real_nodes);
          return std::vector{out.h, out.e};
        },
        {x.h, x.e});
    x = {streams[0], streams[1]};
  }
  return readout(x.h);
}

LossOutput Egt::loss(const Batch& batch) {
  const auto prediction = forward(batch).to(at::kFloat);
  return {(prediction - batch.target.to(at::kFloat)).abs().sum(), batch.size()};
}

at::Tensor Egt::predict(const Batch& batch) { return forward(batch).to(at::kFloat); }

double Egt::forward_flops(const Batch& batch, bool dense_attention) const {
  const auto b = static_cast<double>(batch.size()), n = static_cast<double>(batch.input.size(1));
  const auto v = static_cast<double>(config_.virtual_nodes), p = v + n;
  const auto d = static_cast<double>(config_.d_node), de = static_cast<double>(config_.d_edge);
  const auto h = static_cast<double>(config_.heads);
  const double f = std::round(d * config_.ffn_multiplier), fe = std::round(de * config_.edge_ffn_multiplier);
  double flops = 2.0 * b * n * 2.0 * static_cast<double>(config_.svd_rank) * d;  // SVD encodings
  for (size_t l = 0; l < layer_list_.size(); ++l) {
    const double pairs = b * p * p * (dense_attention ? 1.0 : last_fractions_[l]);  // (target, source) pairs computed
    flops += 2.0 * b * p * (4.0 * d * d + 2.0 * d * f);                             // qkv, out, fc1, fc2
    flops += 2.0 * pairs * (2.0 * de * h + 2.0 * d);                                // E and G; Q K^T and A V
    if (layer_list_[l]->edge_update())
      flops += 2.0 * pairs * h * de + 2.0 * b * p * p * 2.0 * de * fe;  // O_e; edge FFN
  }
  return flops + 2.0 * b * (v * d * d + d * d + d);  // readout MLP
}

double Egt::last_attention_fraction() const {
  double sum = 0;
  for (const double f : last_fractions_) sum += f;
  return sum / static_cast<double>(last_fractions_.size());
}

}  // namespace ssa::models
