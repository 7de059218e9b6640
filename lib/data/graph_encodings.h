// Structural encodings of a small undirected graph for EGT (model-specs.md A.5): all-pairs
// shortest-path hop counts and SVD positional encodings of the adjacency with self-loops.
// Plain C++ (no LAPACK), deterministic: the same graph always gives the same numbers.
#pragma once
#include <cstdint>
#include <utility>
#include <vector>

namespace ssa::data {

constexpr int64_t kSvdRank = 8;                // r: leading singular components kept
constexpr int64_t kUnreachableDistance = 510;  // EGT's hop count for disconnected pairs

using GraphEdges = std::vector<std::pair<int64_t, int64_t>>;  // (i, j); one or both directions

// (N, N) row-major hop counts by breadth-first search: 0 on the diagonal,
// kUnreachableDistance between components.
std::vector<int64_t> shortest_path_distances(int64_t num_nodes, const GraphEdges& edges);

// (N, 2r) row-major [U sqrt(S), V sqrt(S)] of A = U S Vᵀ, A = adjacency + I, for the r leading
// singular values: column k holds u_k sqrt(s_k), column r + k holds v_k sqrt(s_k). Components
// past N are zero. Sign convention: the entry of u_k with the largest magnitude (lowest index
// among near-ties) is positive; v_k follows u_k, so row i · row j over the two halves
// reconstructs A[i][j] when r >= N. Random sign flips belong to the model (training only).
std::vector<float> svd_encodings(int64_t num_nodes, const GraphEdges& edges, int64_t rank = kSvdRank);

}  // namespace ssa::data
