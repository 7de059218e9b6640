// EGT: shapes, exact parameter counts of the flavors, golden checkpoint keys, padding and node-order
// invariance, graph SSA in a layer against a masked dense oracle (double precision), dense mode equal
// to the dense model, finite-difference gradients with SSA on, and a loss that falls on a toy task.
#include "tests/support/catch.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <deque>
#include <map>
#include <numeric>
#include <random>
#include <vector>

#include <ATen/ATen.h>
#include <torch/torch.h>

#include "lib/config/experiment_config.h"
#include "lib/core/error.h"
#include "lib/ssa/graph_sampling.h"
#include "models/egt/egt.h"

using namespace ssa;
using data::Batch;
using models::Egt;
using models::EgtConfig;

namespace {

// A small random molecule-like graph: a forest plus one ring bond, random atom and bond values.
struct ToyGraph {
  int64_t n = 0;
  std::vector<std::array<int64_t, 9>> atoms;
  std::map<std::pair<int64_t, int64_t>, std::array<int64_t, 3>> bonds;  // (i, j), i < j
  std::vector<std::vector<float>> svd;                                  // n x 2r
};

ToyGraph random_graph(int64_t n, int64_t svd_width, std::mt19937& rng) {
  ToyGraph g;
  g.n = n;
  std::uniform_int_distribution<int64_t> atom_value(0, 9), bond_value(0, 4);
  std::normal_distribution<float> normal;
  for (int64_t i = 0; i < n; ++i) {
    std::array<int64_t, 9> atom{};
    for (auto& a : atom) a = atom_value(rng);
    g.atoms.push_back(atom);
    std::vector<float> row(static_cast<size_t>(svd_width));
    for (auto& x : row) x = normal(rng);
    g.svd.push_back(row);
  }
  const auto bond = [&](int64_t i, int64_t j) {
    g.bonds[{std::min(i, j), std::max(i, j)}] = {bond_value(rng), bond_value(rng), bond_value(rng)};
  };
  for (int64_t i = 1; i < n; ++i) {
    if (rng() % 6 != 0) bond(i, static_cast<int64_t>(rng() % static_cast<uint32_t>(i)));  // sometimes a new component
  }
  if (n > 3) bond(0, n - 1);
  return g;
}

// Node i of the result is node perm[i] of g.
ToyGraph permuted(const ToyGraph& g, const std::vector<int64_t>& perm) {
  ToyGraph p;
  p.n = g.n;
  std::vector<int64_t> inverse(static_cast<size_t>(g.n));
  for (int64_t i = 0; i < g.n; ++i) {
    inverse[static_cast<size_t>(perm[static_cast<size_t>(i)])] = i;
    p.atoms.push_back(g.atoms[static_cast<size_t>(perm[static_cast<size_t>(i)])]);
    p.svd.push_back(g.svd[static_cast<size_t>(perm[static_cast<size_t>(i)])]);
  }
  for (const auto& [ij, values] : g.bonds) {
    const int64_t a = inverse[static_cast<size_t>(ij.first)], b = inverse[static_cast<size_t>(ij.second)];
    p.bonds[{std::min(a, b), std::max(a, b)}] = values;
  }
  return p;
}

std::vector<ToyGraph> random_graphs(const std::vector<int64_t>& sizes, uint32_t seed, int64_t svd_width) {
  std::mt19937 rng(seed);
  std::vector<ToyGraph> graphs;
  for (const int64_t n : sizes) graphs.push_back(random_graph(n, svd_width, rng));
  return graphs;
}

// Hop counts by BFS from every node; 510 where unreachable (OGB/EGT convention).
std::vector<std::vector<int64_t>> hop_counts(const ToyGraph& g) {
  std::vector<std::vector<int64_t>> next(static_cast<size_t>(g.n));
  for (const auto& kv : g.bonds) {
    next[static_cast<size_t>(kv.first.first)].push_back(kv.first.second);
    next[static_cast<size_t>(kv.first.second)].push_back(kv.first.first);
  }
  std::vector<std::vector<int64_t>> hops(static_cast<size_t>(g.n), std::vector<int64_t>(static_cast<size_t>(g.n), 510));
  for (int64_t s = 0; s < g.n; ++s) {
    auto& row = hops[static_cast<size_t>(s)];
    row[static_cast<size_t>(s)] = 0;
    std::deque<int64_t> queue{s};
    while (!queue.empty()) {
      const int64_t u = queue.front();
      queue.pop_front();
      for (const int64_t v : next[static_cast<size_t>(u)]) {
        if (row[static_cast<size_t>(v)] == 510) {
          row[static_cast<size_t>(v)] = row[static_cast<size_t>(u)] + 1;
          queue.push_back(v);
        }
      }
    }
  }
  return hops;
}

// The graphs padded to `padded` nodes as a data::Batch; target = n / 10.
Batch pack(const std::vector<ToyGraph>& graphs, int64_t padded, int64_t svd_width) {
  const auto batch = static_cast<int64_t>(graphs.size());
  Batch out;
  out.input = at::zeros({batch, padded, 9}, at::kLong);
  out.node_mask = at::zeros({batch, padded}, at::kBool);
  out.edge_feat = at::full({batch, padded, padded, 3}, -1, at::kLong);
  out.distance = at::full({batch, padded, padded}, 510, at::kLong);
  out.svd = at::zeros({batch, padded, svd_width}, at::kFloat);
  out.target = at::zeros({batch}, at::kFloat);
  auto input = out.input.accessor<int64_t, 3>();
  auto mask = out.node_mask.accessor<bool, 2>();
  auto bonds = out.edge_feat.accessor<int64_t, 4>();
  auto distance = out.distance.accessor<int64_t, 3>();
  auto svd = out.svd.accessor<float, 3>();
  for (int64_t b = 0; b < batch; ++b) {
    const auto& g = graphs[static_cast<size_t>(b)];
    const auto hops = hop_counts(g);
    out.target[b] = static_cast<double>(g.n) / 10.0;
    for (int64_t i = 0; i < g.n; ++i) {
      mask[b][i] = true;
      for (int64_t f = 0; f < 9; ++f) input[b][i][f] = g.atoms[static_cast<size_t>(i)][static_cast<size_t>(f)];
      for (int64_t k = 0; k < svd_width; ++k) svd[b][i][k] = g.svd[static_cast<size_t>(i)][static_cast<size_t>(k)];
      for (int64_t j = 0; j < g.n; ++j) distance[b][i][j] = hops[static_cast<size_t>(i)][static_cast<size_t>(j)];
    }
    for (const auto& [ij, values] : g.bonds) {
      for (int64_t f = 0; f < 3; ++f) {
        bonds[b][ij.first][ij.second][f] = bonds[b][ij.second][ij.first][f] = values[static_cast<size_t>(f)];
      }
    }
  }
  return out;
}

EgtConfig tiny(bool simple = true) {
  EgtConfig c = models::egt_flavor("tiny");
  c.egt_simple = simple;
  return c;
}

constexpr int64_t kTinySvd = 4;  // 2r of the tiny flavor

// Parameters of an EGT, counted from the architecture independently of the model code.
int64_t expected_parameters(const EgtConfig& c) {
  const int64_t d = c.d_node, de = c.d_edge, h = c.heads, v = c.virtual_nodes;
  const auto f = static_cast<int64_t>(std::lround(static_cast<double>(d) * c.ffn_multiplier));
  const auto fe = static_cast<int64_t>(std::lround(static_cast<double>(de) * c.edge_ffn_multiplier));
  const int64_t node_layer = 2 * d + 2 * de + 3 * d * d + 3 * d + 2 * (de * h + h) + d * d + d + 2 * d + d * f + f +
                             f * d + d;
  const int64_t edge_part = h * de + de + 2 * de + de * fe + fe + fe * de + de;
  const int64_t edge_layers = c.egt_simple ? 0 : c.layers - 1;
  const int64_t inputs = (9 * 128 + 1) * d + 2 * c.svd_rank * d + d + (c.upto_hop + 2) * de + (3 * 8 + 1) * de + v * d +
                         v * de;
  const int64_t readout = 2 * d + v * d * d + d + d * d + d + d + 1;
  return c.layers * node_layer + edge_layers * edge_part + inputs + readout;
}

// (B, P, P) bool: target i attends to source j under `s`.
at::Tensor allowed_pairs(const attn::GraphSample& s, int64_t batch, int64_t positions) {
  if (s.dense) return s.source_valid.expand({batch, positions, positions}).clone();
  auto allowed = at::zeros({batch, positions, positions}, at::kBool);
  for (int64_t b = 0; b < batch; ++b) {
    for (int64_t g = 0; g < s.groups(); ++g) {
      const auto sources = s.sources[b][g].masked_select(s.source_valid[b][g]);
      const auto targets = s.targets.defined() ? s.targets[b][g].masked_select(s.target_valid[b][g])
                                               : at::arange(positions, at::kLong);
      for (int64_t t = 0; t < targets.size(0); ++t)
        allowed[b][targets[t].item<int64_t>()].index_fill_(0, sources, true);
    }
  }
  return allowed;
}

// EGT attention written densely from the spec, with the disallowed pairs masked out: the oracle
// for the gather-based layer. Full EGT adds O_e(H_hat) to the `updated` pairs: every pair when
// dense (as egt_pytorch does), the computed pairs under SSA.
models::EgtStreams masked_dense_layer(models::EgtLayerImpl& l, const models::EgtLayerOptions& o,
                                      const models::EgtStreams& x, const at::Tensor& allowed, const at::Tensor& updated,
                                      const at::Tensor& real_nodes) {
  const int64_t batch = x.h.size(0), positions = x.h.size(1), heads = o.heads, dim = o.d_node / o.heads;
  const auto parts = l.qkv(l.node_norm(x.h)).split(o.d_node, -1);
  const auto q = parts[0].view({batch, positions, heads, dim}), k = parts[1].view({batch, positions, heads, dim});
  const auto v = parts[2].view({batch, positions, heads, dim});
  const auto en = l.edge_norm(x.e);
  const auto h_hat =
      (at::einsum("bihd,bjhd->bijh", {q, k}) / std::sqrt(static_cast<double>(dim))).clamp(-o.clip_logits, o.clip_logits) +
      l.bias(en);  // (B, P, P, H)
  const auto a = allowed.unsqueeze(-1);
  const auto any = allowed.any(2).view({batch, positions, 1, 1});
  const auto probs = at::where(a.any(2, true), at::softmax(h_hat.masked_fill(a.logical_not(), -INFINITY), 2),
                               at::zeros_like(h_hat));
  const auto gates = at::sigmoid(l.gate(en)) * a;
  const auto att = at::einsum("bijh,bjhd->bihd", {probs * gates, v});  // (B, P, H, D)
  const auto is_real_source = at::arange(positions, at::kLong).ge(o.virtual_nodes).view({1, 1, positions, 1});
  auto weight = at::ones_like(gates);
  if (o.rescale_degree) {
    const auto kept = (allowed.unsqueeze(-1) & is_real_source).sum(2, true).clamp_min(1).to(at::kDouble);
    weight = at::where(is_real_source, real_nodes.view({batch, 1, 1, 1}) / kept, weight);
  }
  auto scaler = at::log1p((gates * weight).sum(2));  // (B, P, H)
  scaler.slice(1, 0, o.virtual_nodes).fill_(1.0);
  const auto y = (att * scaler.unsqueeze(-1) * any).reshape({batch, positions, o.d_node});
  auto h = x.h + l.out(y);
  h = h + l.fc2(at::elu(l.fc1(l.ffn_norm(h))));
  if (!o.edge_update) return {h, x.e};
  auto e = x.e + l.edge_out(h_hat) * updated.unsqueeze(-1);
  e = e + l.edge_fc2(at::elu(l.edge_fc1(l.edge_ffn_norm(e))));
  return {h, e};
}

}  // namespace

TEST_CASE("egt maps a graph batch to one value per graph", "[egt]") {
  torch::manual_seed(0);
  Egt model(tiny(), 1);
  const auto batch = pack(random_graphs({3, 5, 8}, 1, kTinySvd), 8, kTinySvd);
  REQUIRE(model.forward(batch).sizes() == at::IntArrayRef({3}));
  REQUIRE(model.prediction_kind() == models::Prediction::kValues);
  model.eval();
  model.set_attention_mode(attn::AttentionMode::kDense);
  const auto prediction = model.predict(batch);
  REQUIRE(prediction.scalar_type() == at::kFloat);
  REQUIRE(prediction.sizes() == at::IntArrayRef({3}));
  const auto loss = model.loss(batch);
  REQUIRE(loss.count == 3);
  REQUIRE(loss.sum.item<double>() == Approx((prediction - batch.target).abs().sum().item<double>()));
}

TEST_CASE("egt parameter counts of the flavors are exact", "[egt][params]") {
  REQUIRE(expected_parameters(models::egt_flavor("egt-small")) == 11411009);       // model-specs: 11.41M
  REQUIRE(expected_parameters(models::egt_flavor("egt-small-full")) == 11463809);  // 11.46M
  REQUIRE(expected_parameters(models::egt_flavor("egt-47m")) == 47414273);         // 47.41M
  for (const auto& name : models::egt_flavor_names()) {
    INFO(name);
    const auto config = models::egt_flavor(name);
    REQUIRE(Egt(config, 0).parameter_count() == expected_parameters(config));
  }
  REQUIRE(Egt(tiny(false), 0).parameter_count() == expected_parameters(tiny(false)));
}

TEST_CASE("checkpoint keys of the tiny egt are stable", "[egt][keys]") {
  std::vector<std::string> keys;
  for (const auto& p : Egt(tiny(false), 0).named_parameters()) keys.push_back(p.key());
  std::vector<std::string> expected = {"vn_nodes",         "vn_edges",       "node_embed.weight",
                                       "svd_embed.weight", "svd_embed.bias", "distance_embed.weight",
                                       "bond_embed.weight"};
  const std::vector<std::string> node_part = {"node_norm", "edge_norm", "qkv", "bias", "gate",
                                              "out",       "ffn_norm",  "fc1", "fc2"};
  const std::vector<std::string> edge_part = {"edge_out", "edge_ffn_norm", "edge_fc1", "edge_fc2"};
  for (int layer = 0; layer < 2; ++layer) {
    auto names = node_part;
    if (layer == 0) names.insert(names.end(), edge_part.begin(), edge_part.end());  // the last layer is node-only
    for (const auto& m : names) {
      for (const char* p : {".weight", ".bias"}) expected.push_back("layers." + std::to_string(layer) + "." + m + p);
    }
  }
  for (const char* k : {"final_norm.weight", "final_norm.bias", "mlp.0.weight", "mlp.0.bias", "mlp.1.weight",
                        "mlp.1.bias", "mlp.2.weight", "mlp.2.bias"}) {
    expected.push_back(k);
  }
  REQUIRE(keys == expected);
}

TEST_CASE("padding nodes do not change the predictions of the real graphs", "[egt]") {
  for (const bool simple : {true, false}) {
    torch::manual_seed(0);
    Egt model(tiny(simple), 1);
    model.eval();
    model.set_attention_mode(attn::AttentionMode::kDense);
    const auto graphs = random_graphs({3, 6, 5, 1}, 7, kTinySvd);
    const auto tight = model.predict(pack(graphs, 6, kTinySvd));
    const auto padded = model.predict(pack(graphs, 11, kTinySvd));
    REQUIRE(at::allclose(tight, padded, 1e-5, 1e-6));
  }
}

TEST_CASE("the node order does not change the predictions", "[egt]") {
  for (const bool simple : {true, false}) {
    torch::manual_seed(0);
    Egt model(tiny(simple), 1);
    model.eval();
    model.set_attention_mode(attn::AttentionMode::kDense);
    const auto graphs = random_graphs({4, 7, 6}, 13, kTinySvd);
    std::mt19937 rng(5);
    std::vector<ToyGraph> shuffled;
    for (const auto& g : graphs) {
      std::vector<int64_t> perm(static_cast<size_t>(g.n));
      std::iota(perm.begin(), perm.end(), 0);
      std::shuffle(perm.begin(), perm.end(), rng);
      shuffled.push_back(permuted(g, perm));
    }
    REQUIRE(
        at::allclose(model.predict(pack(graphs, 7, kTinySvd)), model.predict(pack(shuffled, 7, kTinySvd)), 1e-5, 1e-5));
  }
}

TEST_CASE("dense mode is exactly the dense model: SSA mode subsamples, also in eval", "[egt][ssa]") {
  EgtConfig with_ssa = tiny();
  with_ssa.ssa.layers = -1;
  with_ssa.ssa.drop_ratio = 0.5;
  EgtConfig s0 = with_ssa;
  s0.ssa.layers = 0;
  torch::manual_seed(0);
  Egt ssa_model(with_ssa, 1);
  torch::manual_seed(0);
  Egt dense_model(s0, 1);
  ssa_model.eval();
  dense_model.eval();
  const auto batch = pack(random_graphs({5, 8, 6}, 3, kTinySvd), 8, kTinySvd);
  const auto dense = dense_model.predict(batch);
  REQUIRE(dense_model.last_attention_fraction() == 1.0);
  ssa_model.set_attention_mode(attn::AttentionMode::kDense);
  REQUIRE(at::equal(ssa_model.predict(batch), dense));
  REQUIRE(ssa_model.last_attention_fraction() == 1.0);
  const double dense_flops = ssa_model.forward_flops(batch, /*dense_attention=*/false);
  REQUIRE(dense_flops == ssa_model.forward_flops(batch, /*dense_attention=*/true));

  ssa_model.set_attention_mode(attn::AttentionMode::kSubsampled);
  const auto subsampled = ssa_model.predict(batch);
  REQUIRE_FALSE(at::allclose(subsampled, dense, 1e-4, 1e-4));
  REQUIRE(ssa_model.last_attention_fraction() < 0.8);
  REQUIRE(ssa_model.forward_flops(batch, false) < dense_flops);

  EgtConfig keep_all = with_ssa;
  keep_all.ssa.drop_ratio = 0.0;  // kept sources are every real node: the dense computation
  torch::manual_seed(0);
  Egt keep_all_model(keep_all, 1);
  keep_all_model.eval();
  REQUIRE(at::allclose(keep_all_model.predict(batch), dense, 1e-6, 1e-6));
}

TEST_CASE("graph SSA in a layer equals dense EGT attention with the dropped sources masked", "[egt][ssa][oracle]") {
  attn::SourceSampler sampler(4);
  const std::vector<int64_t> sizes = {5, 3, 7};
  const int64_t batch = 3, nodes = 7, vns = 2;
  const int64_t positions = vns + nodes;
  auto node_mask = at::zeros({batch, nodes}, at::kBool);
  for (int64_t b = 0; b < batch; ++b) node_mask[b].slice(0, 0, sizes[static_cast<size_t>(b)]).fill_(true);
  const auto real_nodes = node_mask.sum(1).to(at::kDouble);
  const auto order = attn::graph_node_order(at::rand({batch, nodes, nodes}).lt(0.4), node_mask, attn::GraphOrder::kBfs);
  for (const bool edge_update : {false, true}) {
    for (const bool rescale : {false, true}) {
      models::EgtLayerOptions o;
      o.d_node = 8;
      o.d_edge = 4;
      o.heads = 2;
      o.virtual_nodes = vns;
      o.d_ffn = 8;
      o.d_edge_ffn = 4;
      o.edge_update = edge_update;
      o.rescale_degree = rescale;
      torch::manual_seed(1);
      models::EgtLayer layer(o);
      layer->to(at::kDouble);
      const models::EgtStreams x{at::randn({batch, positions, o.d_node}, at::kDouble),
                                 at::randn({batch, positions, positions, o.d_edge}, at::kDouble)};
      const std::vector<attn::GraphSample> samples = {
          attn::dense_graph_sample(node_mask, vns), attn::unbiased_graph_sample(node_mask, vns, 0.4, sampler.generator()),
          attn::local_graph_sample(order, vns, 2, 0.3, sampler.generator())};
      for (const auto& sample : samples) {
        INFO("edge_update " << edge_update << ", rescale " << rescale << ", dense " << sample.dense << ", windows "
                            << sample.groups());
        const auto got = layer->forward(x, sample, real_nodes);
        const auto allowed = allowed_pairs(sample, batch, positions);
        const auto updated = sample.dense ? at::ones_like(allowed) : allowed;
        const auto want = masked_dense_layer(*layer, o, x, allowed, updated, real_nodes);
        REQUIRE(at::allclose(got.h, want.h, 1e-10, 1e-10));
        REQUIRE(at::allclose(got.e, want.e, 1e-10, 1e-10));
      }
    }
  }
}

TEST_CASE("egt gradients match finite differences with graph SSA on", "[egt][grad]") {
  for (const auto variant : {attn::GraphSsaVariant::kUnbiased, attn::GraphSsaVariant::kLocal}) {
    EgtConfig c = tiny(/*simple=*/false);
    c.ssa.variant = variant;
    c.ssa.drop_ratio = 0.4;
    c.ssa.rescale_degree = true;
    torch::manual_seed(0);
    Egt model(c, 3);
    model.to(at::kDouble);
    model.eval();  // SSA still subsamples in eval mode; no SVD sign flips
    const auto batch = pack(random_graphs({4, 6, 5}, 21, kTinySvd), 6, kTinySvd);
    const auto weights = at::randn({3}, at::kDouble);
    const auto state = model.sampler().state();
    const auto objective = [&] {
      model.sampler().set_state(state);  // the same SSA draw every time
      return (model.forward(batch) * weights).sum();
    };
    objective().backward();
    REQUIRE(model.last_attention_fraction() < 1.0);
    const auto params = model.named_parameters();
    std::mt19937 rng(1);
    for (const char* name : {"vn_nodes", "vn_edges", "svd_embed.weight", "layers.0.qkv.weight", "layers.0.gate.weight",
                             "layers.0.bias.weight", "layers.0.edge_out.weight", "layers.1.edge_norm.weight",
                             "layers.1.fc1.weight", "mlp.0.weight"}) {
      INFO(name);
      auto flat = params[name].view(-1);
      const auto grad = params[name].grad().view(-1);
      for (int trial = 0; trial < 3; ++trial) {
        const auto k = static_cast<int64_t>(rng() % static_cast<uint32_t>(flat.numel()));
        const double eps = 1e-6, original = flat[k].item<double>();
        torch::NoGradGuard no_grad;
        flat[k] = original + eps;
        const double up = objective().item<double>();
        flat[k] = original - eps;
        const double down = objective().item<double>();
        flat[k] = original;
        const double numeric = (up - down) / (2 * eps), analytic = grad[k].item<double>();
        REQUIRE(std::abs(numeric - analytic) < 1e-6 + 1e-5 * std::abs(analytic));
      }
    }
  }
}

TEST_CASE("svd sign flips follow torch's default generator in training only", "[egt]") {
  torch::manual_seed(0);
  Egt model(tiny(), 1);
  model.set_attention_mode(attn::AttentionMode::kDense);
  const auto batch = pack(random_graphs({5, 6, 4}, 2, kTinySvd), 6, kTinySvd);
  model.train();
  torch::manual_seed(5);
  const auto a = model.forward(batch);
  torch::manual_seed(5);
  REQUIRE(at::equal(a, model.forward(batch)));
  torch::manual_seed(6);
  REQUIRE_FALSE(at::allclose(a, model.forward(batch)));
  model.eval();
  torch::manual_seed(5);
  const auto e = model.forward(batch);
  torch::manual_seed(6);
  REQUIRE(at::equal(e, model.forward(batch)));
}

TEST_CASE("malformed graph batches are rejected with one clear line", "[egt]") {
  torch::manual_seed(0);
  Egt model(tiny(), 1);
  auto batch = pack(random_graphs({3, 4}, 2, kTinySvd), 4, kTinySvd);
  auto wrong_svd = batch;
  wrong_svd.svd = at::zeros({2, 4, 2});  // fewer components than svd_rank (2)
  REQUIRE_THROWS_WITH(model.forward(wrong_svd), Catch::Contains("svd") && Catch::Contains("R >= 2"));
  auto more_components = batch;  // the data's R = 8 components: the model reads the leading r of each half
  more_components.svd = at::cat(
      {batch.svd.slice(2, 0, 2), at::randn({2, 4, 6}), batch.svd.slice(2, 2, 4), at::randn({2, 4, 6})}, -1);
  model.eval();
  CHECK(model.forward(more_components).allclose(model.forward(batch)));
  model.train();
  auto wrong_atom = batch;
  wrong_atom.input = batch.input.clone();
  wrong_atom.input[0][0][0] = 128;
  REQUIRE_THROWS_AS(model.forward(wrong_atom), InputError);
  wrong_atom.input[0][0][0] = 0;
  wrong_atom.input[0][3][0] = 500;  // a padding node: ignored
  REQUIRE_NOTHROW(model.forward(wrong_atom));
}

TEST_CASE("egt with graph SSA learns a toy regression (node count) in 50 steps", "[egt][train]") {
  EgtConfig c = tiny();
  c.ssa.drop_ratio = 0.2;
  torch::manual_seed(0);
  Egt model(c, 1);
  model.train();
  const auto batch = pack(random_graphs({2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 3, 5, 7, 9, 11}, 8, kTinySvd), 12, kTinySvd);
  torch::optim::Adam optimizer(model.parameters(), torch::optim::AdamOptions(3e-3));
  std::vector<double> losses;
  for (int step = 0; step < 50; ++step) {
    optimizer.zero_grad();
    const auto loss = model.loss(batch);
    const auto mean = loss.sum / static_cast<double>(loss.count);
    mean.backward();
    optimizer.step();
    losses.push_back(mean.item<double>());
  }
  const double last = (losses[45] + losses[46] + losses[47] + losses[48] + losses[49]) / 5.0;
  INFO("first " << losses.front() << ", last five " << last);
  REQUIRE(last < 0.5 * losses.front());
}

TEST_CASE("model.type egt reads its flavor, keys and graph SSA section", "[egt][config]") {
  const std::string yaml =
      "data:\n  dataset: molecules\n"
      "model:\n  type: egt\n  flavor: egt-small\n  layers: 4\n  ssa: {variant: local, order: rcm, windows: 3}\n";
  const auto c = config::parse_experiment(yaml, "test.yaml");
  REQUIRE(c.model.as<models::EgtConfig>().d_node == 512);
  REQUIRE(c.model.as<models::EgtConfig>().layers == 4);
  REQUIRE(c.model.as<models::EgtConfig>().ssa.variant == attn::GraphSsaVariant::kLocal);
  REQUIRE(c.model.as<models::EgtConfig>().ssa.order == attn::GraphOrder::kReverseCuthillMcKee);
  REQUIRE(c.model.as<models::EgtConfig>().ssa.windows == 3);
  const auto again = config::parse_experiment(config::to_yaml(c), "resolved.yaml");
  REQUIRE(config::flatten(again).values == config::flatten(c).values);
  const auto error_of = [](const std::string& text) {
    try {
      config::parse_experiment(text, "test.yaml");
    } catch (const ConfigError& e) {
      return std::string(e.what());
    }
    return std::string("(no error)");
  };
  const std::string base = "data:\n  dataset: molecules\nmodel:\n  type: egt\n";
  REQUIRE(error_of(base + "  heads: 5\n").find("model.heads: must divide model.d_node (64), got 5") != std::string::npos);
  REQUIRE(error_of(base + "  ssa: {layers: 9}\n").find("model.ssa.layers: is 9 but the model has only 3") !=
          std::string::npos);
  REQUIRE(error_of(base + "  flavor: egt-smal\n").find("did you mean 'egt-small'?") != std::string::npos);
  REQUIRE(error_of(base + "  ssa: {drop_ratio: 1}\n").find("model.ssa.drop_ratio") != std::string::npos);
}
