// Graph SSA samplers and graph orders (see graph_sampling.h). Random draws are one tensor per
// layer from the sampler's generator; the per-graph index lists are then built on the CPU, which
// is cheap for molecules of a few dozen nodes.
#include "lib/ssa/graph_sampling.h"

#include <algorithm>
#include <cmath>
#include <deque>
#include <numeric>
#include <utility>
#include <vector>

#include <ATen/ATen.h>

#include "lib/core/error.h"

namespace ssa::attn {
namespace {

using IndexLists = std::vector<std::vector<int64_t>>;  // [b * G + g] -> positions

// Pads per-(graph, group) lists into (B, G, width) int64 indices, 0 in the empty slots, and the
// matching (B, G, width) validity mask.
std::pair<at::Tensor, at::Tensor> pad_lists(const IndexLists& lists, int64_t batch, int64_t groups) {
  size_t width = 1;
  for (const auto& list : lists) width = std::max(width, list.size());
  auto index = at::zeros({batch, groups, static_cast<int64_t>(width)}, at::kLong);
  auto valid = at::zeros({batch, groups, static_cast<int64_t>(width)}, at::kBool);
  auto ia = index.accessor<int64_t, 3>();
  auto va = valid.accessor<bool, 3>();
  for (int64_t b = 0; b < batch; ++b) {
    for (int64_t g = 0; g < groups; ++g) {
      const auto& list = lists[static_cast<size_t>(b * groups + g)];
      for (size_t s = 0; s < list.size(); ++s) {
        ia[b][g][static_cast<int64_t>(s)] = list[s];
        va[b][g][static_cast<int64_t>(s)] = true;
      }
    }
  }
  return {index, valid};
}

// Breadth-first sweep over the real nodes `real` of one graph, component by component. by_degree:
// Cuthill-McKee (roots of minimum degree, neighbours by ascending degree), reversed at the end.
std::vector<int64_t> sweep_order(const at::TensorAccessor<bool, 2>& adjacency, const std::vector<int64_t>& real,
                                 bool by_degree) {
  const size_t n = real.size();
  std::vector<int64_t> degree(n, 0);
  for (size_t a = 0; a < n; ++a) {
    for (size_t b = 0; b < n; ++b) degree[a] += (a != b && adjacency[real[a]][real[b]]) ? 1 : 0;
  }
  const auto before = [&](size_t a, size_t b) {  // a and b index `real`, which is ascending
    return by_degree ? std::make_pair(degree[a], a) < std::make_pair(degree[b], b) : a < b;
  };
  std::vector<bool> visited(n, false);
  std::vector<int64_t> order;
  while (order.size() < n) {
    size_t root = n;
    for (size_t a = 0; a < n; ++a) {
      if (!visited[a] && (root == n || before(a, root))) root = a;
    }
    std::deque<size_t> queue{root};
    visited[root] = true;
    while (!queue.empty()) {
      const size_t u = queue.front();
      queue.pop_front();
      order.push_back(real[u]);
      std::vector<size_t> next;
      for (size_t b = 0; b < n; ++b) {
        if (b != u && adjacency[real[u]][real[b]] && !visited[b]) next.push_back(b);
      }
      std::sort(next.begin(), next.end(), before);
      for (const size_t b : next) {
        visited[b] = true;
        queue.push_back(b);
      }
    }
  }
  if (by_degree) std::reverse(order.begin(), order.end());
  return order;
}

}  // namespace

GraphSample GraphSample::to(const c10::Device& device) const {
  const auto move = [&](const at::Tensor& t) { return t.defined() ? t.to(device) : t; };
  return {move(targets), move(target_valid), move(sources), move(source_valid), dense};
}

int64_t kept_real_count(int64_t n_real, double drop_ratio) {
  if (n_real <= 0) return 0;
  const auto kept = static_cast<int64_t>(std::ceil((1.0 - drop_ratio) * static_cast<double>(n_real) - 1e-9));
  return std::clamp<int64_t>(kept, 1, n_real);
}

GraphSample dense_graph_sample(const at::Tensor& node_mask, int64_t virtual_nodes) {
  const auto mask = node_mask.to(at::kBool);
  const auto vns = at::ones({mask.size(0), virtual_nodes}, mask.options());
  return {at::Tensor(), at::Tensor(), at::Tensor(), at::cat({vns, mask}, 1).unsqueeze(1), /*dense=*/true};
}

GraphSample unbiased_graph_sample(const at::Tensor& node_mask, int64_t virtual_nodes, double drop_ratio,
                                  at::Generator& generator) {
  SSA_CHECK(drop_ratio >= 0 && drop_ratio < 1, ExitCode::kConfig, "graph SSA: drop_ratio must be in [0, 1), got {}",
            drop_ratio);
  const auto mask = node_mask.to(at::kCPU).to(at::kBool);
  const int64_t batch = mask.size(0), nodes = mask.size(1);
  // A uniformly random order of each graph's real nodes; padding sorts after them.
  const auto keys = at::rand({batch, nodes}, generator, at::kDouble).masked_fill(mask.logical_not(), 2.0);
  const auto rank = keys.argsort(/*dim=*/1, false).argsort(/*dim=*/1, false);  // (B, N)
  const auto counts = mask.sum(1).to(at::kLong).contiguous();
  auto kept = at::empty({batch}, at::kLong);
  for (int64_t b = 0; b < batch; ++b) {
    kept.data_ptr<int64_t>()[b] = kept_real_count(counts.data_ptr<int64_t>()[b], drop_ratio);
  }
  const auto keep = rank < kept.unsqueeze(1);  // (B, N)
  // Kept positions first, ascending: sort by (dropped, position).
  const auto positions = at::arange(nodes, at::kLong);
  const auto by_kept = std::get<1>((keep.logical_not().to(at::kLong) * nodes + positions).sort(1));
  const int64_t width = kept.max().item<int64_t>();
  const auto real_valid = positions.slice(0, 0, width).unsqueeze(0) < kept.unsqueeze(1);  // (B, K)
  const auto real = (by_kept.slice(1, 0, width) + virtual_nodes).masked_fill(real_valid.logical_not(), 0);
  const auto vns = at::arange(virtual_nodes, at::kLong).unsqueeze(0).expand({batch, virtual_nodes});
  const auto sources = at::cat({vns, real}, 1).unsqueeze(1);  // (B, 1, S)
  const auto valid = at::cat({at::ones({batch, virtual_nodes}, at::kBool), real_valid}, 1).unsqueeze(1);
  return {at::Tensor(), at::Tensor(), sources, valid, /*dense=*/false};
}

GraphSample local_graph_sample(const at::Tensor& order, int64_t virtual_nodes, int64_t windows, double sigma_fraction,
                               at::Generator& generator) {
  SSA_CHECK(windows >= 1, ExitCode::kConfig, "graph SSA: windows must be at least 1, got {}", windows);
  const auto ord = order.to(at::kCPU).to(at::kLong).contiguous();
  const int64_t batch = ord.size(0), nodes = ord.size(1);
  const auto noise = at::randn({batch, nodes}, generator, at::kDouble);  // one draw per layer
  const auto oa = ord.accessor<int64_t, 2>();
  const auto na = noise.accessor<double, 2>();
  IndexLists targets(static_cast<size_t>(batch * windows)), sources(targets.size());
  for (int64_t b = 0; b < batch; ++b) {
    int64_t n = 0;
    while (n < nodes && oa[b][n] >= 0) ++n;
    // localrandperm along the graph order: argsort(j + sigma * eps_j).
    const double sigma = sigma_fraction * static_cast<double>(n);
    std::vector<double> noisy(static_cast<size_t>(n));
    for (int64_t j = 0; j < n; ++j) noisy[static_cast<size_t>(j)] = static_cast<double>(j) + sigma * na[b][j];
    std::vector<int64_t> perm(static_cast<size_t>(n));
    std::iota(perm.begin(), perm.end(), 0);
    std::stable_sort(perm.begin(), perm.end(), [&](int64_t x, int64_t y) {
      return noisy[static_cast<size_t>(x)] < noisy[static_cast<size_t>(y)];
    });
    for (int64_t w = 0; w < windows; ++w) {
      auto& t = targets[static_cast<size_t>(b * windows + w)];
      auto& s = sources[static_cast<size_t>(b * windows + w)];
      for (int64_t v = 0; v < virtual_nodes; ++v) {
        if (v % windows == w) t.push_back(v);
        s.push_back(v);
      }
      for (int64_t j = w * n / windows; j < (w + 1) * n / windows; ++j) {
        t.push_back(virtual_nodes + oa[b][j]);
        s.push_back(virtual_nodes + oa[b][perm[static_cast<size_t>(j)]]);
      }
      std::sort(s.begin(), s.end());
    }
  }
  auto [target_index, target_valid] = pad_lists(targets, batch, windows);
  auto [source_index, source_valid] = pad_lists(sources, batch, windows);
  return {target_index, target_valid, source_index, source_valid, /*dense=*/false};
}

at::Tensor graph_node_order(const at::Tensor& adjacency, const at::Tensor& node_mask, GraphOrder order) {
  const auto adj = adjacency.to(at::kCPU).to(at::kBool).contiguous();
  const auto mask = node_mask.to(at::kCPU).to(at::kBool).contiguous();
  const int64_t batch = adj.size(0), nodes = adj.size(1);
  auto result = at::full({batch, nodes}, -1, at::kLong);
  auto ra = result.accessor<int64_t, 2>();
  const auto aa = adj.accessor<bool, 3>();
  const auto ma = mask.accessor<bool, 2>();
  for (int64_t b = 0; b < batch; ++b) {
    std::vector<int64_t> real;
    for (int64_t i = 0; i < nodes; ++i) {
      if (ma[b][i]) real.push_back(i);
    }
    const auto sweep = sweep_order(aa[b], real, order == GraphOrder::kReverseCuthillMcKee);
    for (size_t j = 0; j < sweep.size(); ++j) ra[b][static_cast<int64_t>(j)] = sweep[j];
  }
  return result;
}

double graph_attention_fraction(const GraphSample& sample, int64_t positions) {
  if (sample.dense) return 1.0;
  const int64_t targets = sample.targets.defined() ? sample.targets.size(2) : positions;
  const double computed = static_cast<double>(sample.groups() * targets * sample.sources.size(2));
  return computed / (static_cast<double>(positions) * static_cast<double>(positions));
}

}  // namespace ssa::attn
