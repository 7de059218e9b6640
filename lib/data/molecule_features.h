// SMILES -> molecular graph with the OGB `smiles2graph` features (ogb/utils/features.py): RDKit
// MolFromSmiles (Hs removed, RDKit atom order), 9 atom and 3 bond features, each bond stored twice.
// Only molecule_features.cpp touches RDKit. Distances and SVD encodings are graph_encodings.h.
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ssa::data {

constexpr int64_t kAtomFeatures = 9;
constexpr int64_t kBondFeatures = 3;

// Vocabulary size of each feature; the last index is the 'misc' bucket where OGB has one.
// Atom: atomic_num, chirality, degree, formal_charge, num_hs, radical_electrons, hybridization,
// is_aromatic, is_in_ring. Bond: type, stereo, is_conjugated.
constexpr std::array<int64_t, kAtomFeatures> kAtomVocabSizes = {119, 5, 12, 12, 10, 6, 6, 2, 2};
constexpr std::array<int64_t, kBondFeatures> kBondVocabSizes = {5, 6, 2};

struct MoleculeGraph {
  int64_t num_nodes = 0;
  std::vector<int64_t> node_feat;   // (N, 9) row-major
  std::vector<int64_t> edge_index;  // (2, 2E) row-major: the 2E sources, then the 2E targets
  std::vector<int64_t> edge_feat;   // (2E, 3) row-major; bond b is edges 2b (i->j) and 2b+1 (j->i)

  int64_t num_edges() const { return static_cast<int64_t>(edge_index.size()) / 2; }  // 2E
};

// The graph of `smiles`, or nullopt when RDKit cannot parse or sanitize it. Never throws for bad
// input and prints nothing (RDKit's logs are switched off). Thread-safe.
std::optional<MoleculeGraph> smiles_to_graph(const std::string& smiles);

// "RDKit 2022.09.3": part of the cache key, so a different featurizer rebuilds the cache.
std::string featurizer_version();

}  // namespace ssa::data
