// Test helper for tests/scripts/molecule_crosscheck.py: reads SMILES lines on stdin and prints one
// JSON line each, {"atoms", "edge_index", "edge_feat", "svd"} from smiles_to_graph and
// svd_encodings, or null when the SMILES does not parse.
#include <iostream>
#include <string>

#include "lib/data/graph_encodings.h"
#include "lib/data/molecule_features.h"

using namespace ssa::data;

namespace {

template <class T>
void print_rows(const std::vector<T>& flat, int64_t width) {
  std::cout << '[';
  for (size_t i = 0; i < flat.size(); i += static_cast<size_t>(width)) {
    std::cout << (i ? ",[" : "[");
    for (int64_t f = 0; f < width; ++f) std::cout << (f ? "," : "") << flat[i + static_cast<size_t>(f)];
    std::cout << ']';
  }
  std::cout << ']';
}

}  // namespace

int main() {
  std::cout.precision(9);
  for (std::string smiles; std::getline(std::cin, smiles);) {
    const auto g = smiles_to_graph(smiles);
    if (!g) {
      std::cout << "null\n";
      continue;
    }
    const int64_t m = g->num_edges();
    GraphEdges edges;
    for (int64_t e = 0; e < m; ++e) edges.emplace_back(g->edge_index[e], g->edge_index[m + e]);
    std::cout << "{\"atoms\":";
    print_rows(g->node_feat, kAtomFeatures);
    std::cout << ",\"edge_index\":";
    print_rows(g->edge_index, std::max<int64_t>(m, 1));
    std::cout << ",\"edge_feat\":";
    print_rows(g->edge_feat, kBondFeatures);
    std::cout << ",\"svd\":";
    print_rows(svd_encodings(g->num_nodes, edges), 2 * kSvdRank);
    std::cout << "}\n";
  }
  return 0;
}
