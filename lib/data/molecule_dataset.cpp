// Padded graph batches from the molecule cache (see molecule_dataset.h).
#include "lib/data/molecule_dataset.h"

#include <algorithm>

#include <ATen/ATen.h>
#include <fmt/format.h>

#include "lib/core/error.h"
#include "lib/data/molecule_features.h"

namespace ssa::data {
namespace {

// Raw views of the batch tensors at one graph's slot b.
struct GraphSlot {
  int64_t* input;      // (N, 9)
  bool* node_mask;     // (N)
  int64_t* edge_feat;  // (N, N, 3)
  int64_t* distance;   // (N, N)
  float* svd;          // (N, 2r)
};

void fill_graph(const MoleculeRecord& r, int64_t padded_n, const GraphSlot& slot) {
  const int64_t n = r.num_nodes;
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t f = 0; f < kAtomFeatures; ++f) slot.input[i * kAtomFeatures + f] = r.node_feat[i * kAtomFeatures + f];
    slot.node_mask[i] = true;
    r.svd_row(i, slot.svd + i * 2 * kSvdRank);
  }
  for (int64_t b = 0; b < r.num_bonds; ++b) {
    const uint8_t* bond = r.bonds + b * kStoredBondWidth;  // i, j, type, stereo, conjugated
    for (const auto& [from, to] : {std::pair<int64_t, int64_t>{bond[0], bond[1]}, {bond[1], bond[0]}}) {
      int64_t* out = slot.edge_feat + (from * padded_n + to) * kBondFeatures;
      for (int64_t f = 0; f < kBondFeatures; ++f) out[f] = bond[2 + f];
    }
  }
  const std::vector<int64_t> dist = shortest_path_distances(n, r.edges());  // (n, n)
  for (int64_t i = 0; i < n; ++i) std::copy_n(dist.data() + i * n, n, slot.distance + i * padded_n);
}

}  // namespace

MoleculeDataset::MoleculeDataset(std::shared_ptr<const MoleculeCache> cache, std::vector<int64_t> rows, std::string name)
    : cache_(std::move(cache)), rows_(std::move(rows)), name_(std::move(name)) {}

Batch MoleculeDataset::batch(const std::vector<int64_t>& indices, std::optional<uint64_t> /*augment_seed*/) const {
  std::vector<MoleculeRecord> records;
  records.reserve(indices.size());
  int64_t n = 0;
  for (int64_t index : indices) {
    SSA_CHECK(index >= 0 && index < size(), ExitCode::kInternal, "molecule index {} outside the {} split (size {})",
              index, name_, size());
    records.push_back(cache_->record(rows_[static_cast<size_t>(index)]));
    n = std::max(n, records.back().num_nodes);
  }
  const auto b = static_cast<int64_t>(indices.size());
  Batch out;
  out.input = at::full({b, n, kAtomFeatures}, -1, at::kLong);           // (B, N, 9)
  out.node_mask = at::zeros({b, n}, at::kBool);                         // (B, N)
  out.edge_feat = at::full({b, n, n, kBondFeatures}, -1, at::kLong);    // (B, N, N, 3)
  out.distance = at::full({b, n, n}, kUnreachableDistance, at::kLong);  // (B, N, N)
  out.svd = at::zeros({b, n, 2 * kSvdRank}, at::kFloat);                // (B, N, 2r)
  out.target = at::empty({b}, at::kFloat);                              // (B)
  float* target = out.target.data_ptr<float>();
  for (int64_t g = 0; g < b; ++g) {
    const GraphSlot slot{out.input.data_ptr<int64_t>() + g * n * kAtomFeatures, out.node_mask.data_ptr<bool>() + g * n,
                         out.edge_feat.data_ptr<int64_t>() + g * n * n * kBondFeatures,
                         out.distance.data_ptr<int64_t>() + g * n * n, out.svd.data_ptr<float>() + g * n * 2 * kSvdRank};
    fill_graph(records[static_cast<size_t>(g)], n, slot);
    target[g] = records[static_cast<size_t>(g)].target;
  }
  return out;
}

std::string MoleculeDataset::describe() const {
  int64_t largest = 0, atoms = 0;
  for (int64_t row : rows_) {
    const int64_t n = cache_->record(row).num_nodes;
    largest = std::max(largest, n);
    atoms += n;
  }
  const double mean = rows_.empty() ? 0.0 : static_cast<double>(atoms) / static_cast<double>(rows_.size());
  return fmt::format("{} molecules ({}), up to {} atoms, mean {:.1f}", rows_.size(), name_, largest, mean);
}

}  // namespace ssa::data
