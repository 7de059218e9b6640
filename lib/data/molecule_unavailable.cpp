// load_molecule_splits for builds without RDKit (SSA_WITH_RDKIT=OFF): molecules cannot be
// featurized, so asking for them is a configuration error with the fix in the message.
#include "lib/core/error.h"
#include "lib/data/molecule_dataset.h"
#include "lib/data/molecule_features.h"

namespace ssa::data {

MoleculeSplits load_molecule_splits(const MoleculeDataConfig& /*config*/) {
  throw ConfigError(
      "molecule data: ssa-train was built without RDKit; install librdkit-dev, libboost-dev and zlib1g-dev "
      "(scripts/install-deps.sh) and reconfigure with -DSSA_WITH_RDKIT=ON");
}

std::string featurizer_version() { return "RDKit unavailable"; }

}  // namespace ssa::data
