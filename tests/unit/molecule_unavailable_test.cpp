// Builds without RDKit (SSA_WITH_RDKIT=OFF): asking for molecules is one clear ConfigError.
#include "tests/support/catch.h"

#include <string>

#include "lib/core/error.h"
#include "lib/data/molecule_dataset.h"

TEST_CASE("without RDKit, loading molecules is a ConfigError that names the fix", "[molecules]") {
  ssa::data::MoleculeDataConfig config;
  config.path = "molecules.csv";
  try {
    ssa::data::load_molecule_splits(config);
    FAIL("no error");
  } catch (const ssa::ConfigError& e) {
    REQUIRE(std::string(e.what()).find("built without RDKit") != std::string::npos);
  }
}
