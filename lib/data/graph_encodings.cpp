// Shortest paths by BFS and SVD encodings by a cyclic Jacobi eigensolver (see graph_encodings.h).
// A + I is symmetric, so its SVD follows from its eigendecomposition A + I = Q diag(w) Qᵀ:
// s = |w|, u = q, v = sign(w) q. Jacobi is exact to rounding, thread-safe and the same on
// every machine, unlike a LAPACK call whose basis for repeated singular values may vary.
#include "lib/data/graph_encodings.h"

#include <algorithm>
#include <cmath>
#include <deque>
#include <numeric>

namespace ssa::data {
namespace {

std::vector<std::vector<int64_t>> neighbour_lists(int64_t num_nodes, const GraphEdges& edges) {
  std::vector<std::vector<int64_t>> neighbours(static_cast<size_t>(num_nodes));
  for (const auto& [i, j] : edges) {
    neighbours[static_cast<size_t>(i)].push_back(j);
    neighbours[static_cast<size_t>(j)].push_back(i);
  }
  return neighbours;
}

// (N, N) row-major adjacency with self-loops, symmetric.
std::vector<double> adjacency_with_self_loops(int64_t n, const GraphEdges& edges) {
  std::vector<double> a(static_cast<size_t>(n * n), 0.0);
  for (int64_t i = 0; i < n; ++i) a[static_cast<size_t>(i * n + i)] = 1.0;
  for (const auto& [i, j] : edges) a[static_cast<size_t>(i * n + j)] = a[static_cast<size_t>(j * n + i)] = 1.0;
  return a;
}

// One Jacobi rotation that zeroes a[p][q]: a <- Jᵀ a J, q_mat <- q_mat J.
void rotate(std::vector<double>& a, std::vector<double>& q_mat, int64_t n, int64_t p, int64_t q) {
  const double apq = a[static_cast<size_t>(p * n + q)];
  const double tau = (a[static_cast<size_t>(q * n + q)] - a[static_cast<size_t>(p * n + p)]) / (2.0 * apq);
  const double t = (tau >= 0 ? 1.0 : -1.0) / (std::abs(tau) + std::sqrt(1.0 + tau * tau));
  const double c = 1.0 / std::sqrt(1.0 + t * t), s = t * c;
  auto at = [n](std::vector<double>& m, int64_t r, int64_t col) -> double& {
    return m[static_cast<size_t>(r * n + col)];
  };
  for (int64_t k = 0; k < n; ++k) {  // columns p and q
    const double kp = at(a, k, p), kq = at(a, k, q);
    at(a, k, p) = c * kp - s * kq;
    at(a, k, q) = s * kp + c * kq;
  }
  for (int64_t k = 0; k < n; ++k) {  // rows p and q
    const double pk = at(a, p, k), qk = at(a, q, k);
    at(a, p, k) = c * pk - s * qk;
    at(a, q, k) = s * pk + c * qk;
  }
  for (int64_t k = 0; k < n; ++k) {
    const double kp = at(q_mat, k, p), kq = at(q_mat, k, q);
    at(q_mat, k, p) = c * kp - s * kq;
    at(q_mat, k, q) = s * kp + c * kq;
  }
}

double off_diagonal_squares(const std::vector<double>& a, int64_t n) {
  double sum = 0;
  for (int64_t p = 0; p < n; ++p) {
    for (int64_t q = p + 1; q < n; ++q) sum += a[static_cast<size_t>(p * n + q)] * a[static_cast<size_t>(p * n + q)];
  }
  return sum;
}

// Symmetric a (N, N) -> eigenvalues w (N) and eigenvectors as the columns of q_mat (N, N).
void symmetric_eigen(std::vector<double> a, int64_t n, std::vector<double>& w, std::vector<double>& q_mat) {
  q_mat.assign(static_cast<size_t>(n * n), 0.0);
  for (int64_t i = 0; i < n; ++i) q_mat[static_cast<size_t>(i * n + i)] = 1.0;
  const double scale = std::inner_product(a.begin(), a.end(), a.begin(), 0.0);
  constexpr int kMaxSweeps = 100;  // convergence is quadratic: about 10 sweeps in practice
  for (int sweep = 0; sweep < kMaxSweeps && off_diagonal_squares(a, n) > 1e-30 * scale; ++sweep) {
    for (int64_t p = 0; p < n; ++p) {
      for (int64_t q = p + 1; q < n; ++q) {
        if (a[static_cast<size_t>(p * n + q)] != 0.0) rotate(a, q_mat, n, p, q);
      }
    }
  }
  w.resize(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) w[static_cast<size_t>(i)] = a[static_cast<size_t>(i * n + i)];
}

// +1 or -1 so that column k's entry of largest magnitude (lowest index among near-ties) is positive.
double sign_convention(const std::vector<double>& q_mat, int64_t n, int64_t k) {
  double largest = 0;
  for (int64_t i = 0; i < n; ++i) largest = std::max(largest, std::abs(q_mat[static_cast<size_t>(i * n + k)]));
  for (int64_t i = 0; i < n; ++i) {
    const double x = q_mat[static_cast<size_t>(i * n + k)];
    if (std::abs(x) >= largest - 1e-9) return x >= 0 ? 1.0 : -1.0;
  }
  return 1.0;
}

}  // namespace

std::vector<int64_t> shortest_path_distances(int64_t num_nodes, const GraphEdges& edges) {
  const auto neighbours = neighbour_lists(num_nodes, edges);
  std::vector<int64_t> dist(static_cast<size_t>(num_nodes * num_nodes), kUnreachableDistance);
  for (int64_t source = 0; source < num_nodes; ++source) {
    int64_t* row = dist.data() + source * num_nodes;
    row[source] = 0;
    std::deque<int64_t> frontier{source};
    while (!frontier.empty()) {
      const int64_t node = frontier.front();
      frontier.pop_front();
      for (int64_t next : neighbours[static_cast<size_t>(node)]) {
        if (row[next] != kUnreachableDistance) continue;
        row[next] = row[node] + 1;
        frontier.push_back(next);
      }
    }
  }
  return dist;
}

std::vector<float> svd_encodings(int64_t num_nodes, const GraphEdges& edges, int64_t rank) {
  const int64_t n = num_nodes;
  std::vector<double> w, q_mat;
  symmetric_eigen(adjacency_with_self_loops(n, edges), n, w, q_mat);
  std::vector<int64_t> order(static_cast<size_t>(n));  // singular values |w| descending, stable
  std::iota(order.begin(), order.end(), int64_t{0});
  std::stable_sort(order.begin(), order.end(), [&](int64_t x, int64_t y) {
    return std::abs(w[static_cast<size_t>(x)]) > std::abs(w[static_cast<size_t>(y)]);
  });
  std::vector<float> out(static_cast<size_t>(n * 2 * rank), 0.0f);  // (N, 2r)
  for (int64_t k = 0; k < std::min(rank, n); ++k) {
    const int64_t col = order[static_cast<size_t>(k)];
    const double eigenvalue = w[static_cast<size_t>(col)];
    const double root = std::sqrt(std::abs(eigenvalue)) * sign_convention(q_mat, n, col);
    const double v_sign = eigenvalue < 0 ? -1.0 : 1.0;
    for (int64_t i = 0; i < n; ++i) {
      const double u = q_mat[static_cast<size_t>(i * n + col)] * root;
      out[static_cast<size_t>(i * 2 * rank + k)] = static_cast<float>(u);
      out[static_cast<size_t>(i * 2 * rank + rank + k)] = static_cast<float>(v_sign * u);
    }
  }
  return out;
}

}  // namespace ssa::data
