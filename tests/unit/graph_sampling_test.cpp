// Graph SSA samplers: kept sources are VNs and real nodes only, never empty, ceil((1 - drop) n)
// real ones, uniform inclusion, draws from the sampler's generator; graph orders (BFS, RCM); the
// locally biased variant's windows and locality.
#include "tests/support/catch.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <vector>

#include <ATen/ATen.h>

#include "lib/ssa/graph_sampling.h"
#include "lib/ssa/source_sampler.h"

using namespace ssa::attn;

namespace {

// (B, N) bool: graph b has sizes[b] real nodes first, then padding.
at::Tensor node_mask(const std::vector<int64_t>& sizes, int64_t padded) {
  auto mask = at::zeros({static_cast<int64_t>(sizes.size()), padded}, at::kBool);
  for (size_t b = 0; b < sizes.size(); ++b) mask[static_cast<int64_t>(b)].slice(0, 0, sizes[b]).fill_(true);
  return mask;
}

// The valid entries of row (b, g) of a (B, G, K) index tensor.
std::vector<int64_t> valid_entries(const at::Tensor& index, const at::Tensor& valid, int64_t b, int64_t g) {
  std::vector<int64_t> out;
  for (int64_t k = 0; k < index.size(2); ++k) {
    if (valid[b][g][k].item<bool>()) out.push_back(index[b][g][k].item<int64_t>());
  }
  return out;
}

// (1, n, n) adjacency of a path visiting `labels` in sequence.
at::Tensor path_adjacency(const std::vector<int64_t>& labels) {
  const auto n = static_cast<int64_t>(labels.size());
  auto adj = at::zeros({1, n, n}, at::kBool);
  for (size_t i = 0; i + 1 < labels.size(); ++i) {
    adj[0][labels[i]][labels[i + 1]] = true;
    adj[0][labels[i + 1]][labels[i]] = true;
  }
  return adj;
}

}  // namespace

TEST_CASE("kept real sources follow ceil((1 - drop) n), at least one", "[egt][graph-ssa]") {
  REQUIRE(kept_real_count(10, 0.2) == 8);
  REQUIRE(kept_real_count(10, 0.25) == 8);  // ceil(7.5)
  REQUIRE(kept_real_count(10, 0.3) == 7);   // exact products are not rounded up by float error
  REQUIRE(kept_real_count(1, 0.5) == 1);
  REQUIRE(kept_real_count(3, 0.9) == 1);
  REQUIRE(kept_real_count(7, 0.0) == 7);
  REQUIRE(kept_real_count(0, 0.2) == 0);
}

TEST_CASE("unbiased graph SSA keeps every VN and only real nodes, never none", "[egt][graph-ssa]") {
  SourceSampler sampler(5);
  const std::vector<int64_t> sizes = {1, 2, 5, 10, 0};
  const int64_t vns = 3, padded = 12;
  for (const double drop : {0.0, 0.1, 0.2, 0.5, 0.9}) {
    const auto s = unbiased_graph_sample(node_mask(sizes, padded), vns, drop, sampler.generator());
    REQUIRE_FALSE(s.targets.defined());
    REQUIRE(s.groups() == 1);
    for (size_t b = 0; b < sizes.size(); ++b) {
      const auto kept = valid_entries(s.sources, s.source_valid, static_cast<int64_t>(b), 0);
      REQUIRE(static_cast<int64_t>(kept.size()) == vns + kept_real_count(sizes[b], drop));
      REQUIRE(std::is_sorted(kept.begin(), kept.end()));
      REQUIRE(std::set<int64_t>(kept.begin(), kept.end()).size() == kept.size());
      for (int64_t v = 0; v < vns; ++v) REQUIRE(kept[static_cast<size_t>(v)] == v);
      for (const int64_t p : kept) REQUIRE(p < vns + sizes[b]);  // a VN or a real node, never padding
    }
  }
}

TEST_CASE("unbiased graph SSA includes every real node with probability 1 - drop", "[egt][graph-ssa]") {
  SourceSampler sampler(11);
  const int64_t vns = 2, n = 10, draws = 4000;
  const double drop = 0.3;
  auto counts = at::zeros({vns + n + 3}, at::kDouble);
  for (int64_t i = 0; i < draws; ++i) {
    const auto s = unbiased_graph_sample(node_mask({n}, n + 3), vns, drop, sampler.generator());
    counts.index_add_(0, s.sources[0][0].masked_select(s.source_valid[0][0]),
                      at::ones({s.source_valid[0][0].sum().item<int64_t>()}, at::kDouble));
  }
  const auto freq = counts / static_cast<double>(draws);
  const double sd = std::sqrt(0.7 * 0.3 / static_cast<double>(draws));
  for (int64_t v = 0; v < vns; ++v) REQUIRE(freq[v].item<double>() == 1.0);
  for (int64_t j = vns; j < vns + n; ++j) REQUIRE(std::abs(freq[j].item<double>() - 0.7) < 5 * sd);
  for (int64_t j = vns + n; j < vns + n + 3; ++j) REQUIRE(freq[j].item<double>() == 0.0);
}

TEST_CASE("graph SSA draws come from the sampler's generator and replay from its state", "[egt][graph-ssa]") {
  SourceSampler a(3), b(3);
  const auto mask = node_mask({7, 9}, 9);
  const auto state = a.state();
  const auto first = unbiased_graph_sample(mask, 4, 0.5, a.generator());
  REQUIRE(at::equal(first.sources, unbiased_graph_sample(mask, 4, 0.5, b.generator()).sources));
  const auto second = unbiased_graph_sample(mask, 4, 0.5, a.generator());
  a.set_state(state);
  REQUIRE(at::equal(first.sources, unbiased_graph_sample(mask, 4, 0.5, a.generator()).sources));
  const auto order = graph_node_order(at::ones({2, 9, 9}, at::kBool), mask, GraphOrder::kBfs);
  a.set_state(state);
  const auto local = local_graph_sample(order, 2, 3, 0.5, a.generator());
  a.set_state(state);
  REQUIRE(at::equal(local.sources, local_graph_sample(order, 2, 3, 0.5, a.generator()).sources));
  REQUIRE_FALSE(at::equal(first.sources, second.sources));
}

TEST_CASE("dense graph sample lists every VN and real node", "[egt][graph-ssa]") {
  const auto s = dense_graph_sample(node_mask({2, 4}, 4), 2);
  REQUIRE(s.dense);
  REQUIRE(at::equal(s.source_valid[0][0], at::tensor(std::vector<int64_t>{1, 1, 1, 1, 0, 0}).to(at::kBool)));
  REQUIRE(graph_attention_fraction(s, 6) == 1.0);
}

TEST_CASE("BFS orders by hops from the root: RCM walks a path end to end", "[egt][graph-ssa]") {
  const std::vector<int64_t> labels = {3, 0, 5, 1, 4, 2};  // the path 3-0-5-1-4-2
  const auto adj = path_adjacency(labels);
  const auto mask = at::ones({1, 6}, at::kBool);
  const auto rcm = graph_node_order(adj, mask, GraphOrder::kReverseCuthillMcKee);
  for (int64_t i = 0; i + 1 < 6; ++i)
    REQUIRE(adj[0][rcm[0][i].item<int64_t>()][rcm[0][i + 1].item<int64_t>()].item<bool>());
  const auto bfs = graph_node_order(adj, mask, GraphOrder::kBfs);
  REQUIRE(bfs[0][0].item<int64_t>() == 0);  // the root is the lowest-numbered node
  // Hops from node 0 (position 1 on the path) never decrease along the order.
  const auto hops = [&](int64_t node) {
    const auto at = std::find(labels.begin(), labels.end(), node) - labels.begin();
    return std::abs(at - 1);
  };
  for (int64_t i = 0; i + 1 < 6; ++i) REQUIRE(hops(bfs[0][i].item<int64_t>()) <= hops(bfs[0][i + 1].item<int64_t>()));
  const auto both = at::cat({std::get<0>(bfs.sort(1)), std::get<0>(rcm.sort(1))});
  REQUIRE(at::equal(both, at::arange(6, at::kLong).expand({2, 6})));  // each real node exactly once
}

TEST_CASE("graph orders skip padding and cover disconnected components", "[egt][graph-ssa]") {
  auto adj = at::zeros({1, 6, 6}, at::kBool);
  adj[0][0][2] = adj[0][2][0] = true;  // components {0, 2}, {1}, {3}; 4 and 5 are padding
  const auto mask = node_mask({4}, 6);
  for (const auto order : {GraphOrder::kBfs, GraphOrder::kReverseCuthillMcKee}) {
    const auto o = graph_node_order(adj, mask, order);
    REQUIRE(at::equal(std::get<0>(o[0].slice(0, 0, 4).sort()), at::arange(4, at::kLong)));
    REQUIRE((o[0].slice(0, 4) == -1).all().item<bool>());
  }
}

TEST_CASE("local graph SSA with sigma 0 gives windows along the order", "[egt][graph-ssa]") {
  SourceSampler sampler(2);
  const int64_t vns = 3, windows = 2;
  const std::vector<int64_t> sizes = {7, 4};
  const auto mask = node_mask(sizes, 8);
  const auto order = graph_node_order(at::ones({2, 8, 8}, at::kBool), mask, GraphOrder::kBfs);
  const auto s = local_graph_sample(order, vns, windows, 0.0, sampler.generator());
  REQUIRE(s.groups() == windows);
  for (int64_t b = 0; b < 2; ++b) {
    std::multiset<int64_t> all_targets;
    for (int64_t w = 0; w < windows; ++w) {
      const auto t = valid_entries(s.targets, s.target_valid, b, w);
      const auto src = valid_entries(s.sources, s.source_valid, b, w);
      all_targets.insert(t.begin(), t.end());
      for (int64_t v = 0; v < vns; ++v) {
        REQUIRE(src[static_cast<size_t>(v)] == v);                                // every VN is a source
        REQUIRE((std::count(t.begin(), t.end(), v) == 1) == (v % windows == w));  // VN v targets window v % n_w
      }
      std::set<int64_t> real_targets, real_sources(src.begin() + vns, src.end());
      for (const int64_t p : t) {
        if (p >= vns) real_targets.insert(p);
      }
      REQUIRE(real_targets == real_sources);  // sigma 0: sources = the window's own nodes
      const int64_t n = sizes[static_cast<size_t>(b)];
      REQUIRE(static_cast<int64_t>(real_sources.size()) == (w + 1) * n / windows - w * n / windows);
    }
    std::multiset<int64_t> expected;
    for (int64_t p = 0; p < vns + sizes[static_cast<size_t>(b)]; ++p) expected.insert(p);
    REQUIRE(all_targets == expected);  // every VN and real node is a target exactly once
  }
}

TEST_CASE("local graph SSA keeps sources near their targets along the order", "[egt][graph-ssa]") {
  SourceSampler sampler(9);
  const int64_t n = 40, windows = 4;
  std::vector<int64_t> labels(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) labels[static_cast<size_t>(i)] = (i * 17) % n;  // a shuffled path
  const auto order = graph_node_order(path_adjacency(labels), at::ones({1, n}, at::kBool),
                                      GraphOrder::kReverseCuthillMcKee);
  std::vector<int64_t> rank(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) rank[static_cast<size_t>(order[0][i].item<int64_t>())] = i;
  // Mean distance along the order between a window's centre and its sources.
  const auto spread = [&](double sigma) {
    double total = 0;
    int64_t count = 0;
    for (int rep = 0; rep < 50; ++rep) {
      const auto s = local_graph_sample(order, 1, windows, sigma, sampler.generator());
      for (int64_t w = 0; w < windows; ++w) {
        const double centre = (static_cast<double>(w) + 0.5) * n / windows;
        std::multiset<int64_t> seen;
        for (const int64_t p : valid_entries(s.sources, s.source_valid, 0, w)) {
          if (p == 0) continue;  // the VN
          total += std::abs(static_cast<double>(rank[static_cast<size_t>(p - 1)]) - centre);
          ++count;
        }
      }
    }
    return total / static_cast<double>(count);
  };
  const double local = spread(0.05), uniform = spread(100.0);
  REQUIRE(local < 8.0);
  REQUIRE(uniform > 11.0);  // uniform sources: about n/3 away on average (13)
}

TEST_CASE("the attention fraction counts the padded pairs computed", "[egt][graph-ssa]") {
  SourceSampler sampler(1);
  const auto s = unbiased_graph_sample(node_mask({10, 6}, 10), 2, 0.5, sampler.generator());
  REQUIRE(graph_attention_fraction(s, 12) == Approx((2.0 + 5.0) * 12.0 / (12.0 * 12.0)));
}
