// Where molecules come from and how they are split and cached: a plain struct, no YAML (lib/config
// reads it). Defaults live here only. Loading is lib/data/molecule_dataset.h.
#pragma once
#include <cstdint>
#include <string>

namespace ssa::data {

enum class MoleculeSource {
  kCsv,       // one CSV of `smiles,target` (header optional, '#' comments, plain or .gz)
  kPcqm4mv2,  // OGB-LSC layout: <path>/raw/data.csv.gz and <path>/split_dict.pt
};

struct MoleculeDataConfig {
  MoleculeSource source = MoleculeSource::kCsv;
  std::string path;              // kCsv: the CSV file; kPcqm4mv2: the dataset root folder
  std::string target_column;     // header name of the target column; empty = the last column
  double valid_fraction = 0.05;  // kCsv: held-out share of the rows, in (0, 1)
  int64_t split_seed = 0;        // kCsv: seeds which rows are held out
  std::string split_path;        // kPcqm4mv2: empty = <path>/split_dict.pt; or a "split,index" CSV
  std::string cache_dir;         // where the featurized cache goes; empty = beside the source file
  int64_t max_nodes = 128;       // molecules with more atoms are left out of the splits (counted)
  int64_t threads = 0;           // featurization threads; 0 = every core
};

}  // namespace ssa::data
