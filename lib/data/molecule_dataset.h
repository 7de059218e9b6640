// Molecules as a data::Dataset for the EGT graph transformer: one split of a featurized molecule
// cache, batched with padding to the largest molecule. load_molecule_splits is the one entry point
// the trainer needs: it reads the source named by a MoleculeDataConfig, builds or reuses the cache
// and returns the train and valid splits.
#pragma once
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "lib/data/dataset.h"
#include "lib/data/molecule_cache.h"
#include "lib/data/molecule_config.h"

namespace ssa::data {

class MoleculeDataset : public Dataset {
 public:
  // `rows`: the cache rows of this split, each parsed, with a finite target.
  MoleculeDataset(std::shared_ptr<const MoleculeCache> cache, std::vector<int64_t> rows, std::string name);

  int64_t size() const override { return static_cast<int64_t>(rows_.size()); }
  // Pads to N = the most atoms in the batch. Fills
  //   input     (B, N, 9) int64 OGB atom features, -1 on padding
  //   node_mask (B, N) bool, true for real atoms
  //   edge_feat (B, N, N, 3) int64 OGB bond features (both directions), -1 where not bonded
  //   distance  (B, N, N) int64 shortest-path hops, kUnreachableDistance across components and padding
  //   svd       (B, N, 2r) float [U sqrt(S), V sqrt(S)], 0 on padding
  //   target    (B) float
  // No augmentation here (the model flips SVD signs), so `augment_seed` is ignored.
  Batch batch(const std::vector<int64_t>& indices, std::optional<uint64_t> augment_seed) const override;
  std::string describe() const override;

  const MoleculeCache& cache() const { return *cache_; }  // shared by the splits of one source

 private:
  std::shared_ptr<const MoleculeCache> cache_;
  std::vector<int64_t> rows_;
  std::string name_;
};

struct MoleculeSplits {
  std::shared_ptr<MoleculeDataset> train;
  std::shared_ptr<MoleculeDataset> valid;
};

// Reads and splits the molecules `config` names, featurizing them into the cache on first use.
// kCsv: a seeded valid_fraction of the rows is held out. kPcqm4mv2: the "train" and "valid"
// entries of the split file. Rows that did not parse, have more than max_nodes atoms or no
// target are left out with one warning per split. Throws ConfigError for bad settings (or a
// build without RDKit), InputError for missing or malformed files.
MoleculeSplits load_molecule_splits(const MoleculeDataConfig& config);

}  // namespace ssa::data
