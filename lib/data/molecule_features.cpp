// OGB smiles2graph through RDKit's C++ API (see molecule_features.h). Each feature maps one RDKit
// value to its OGB vocabulary index; values outside a vocabulary go to its last ('misc') index.
#include "lib/data/molecule_features.h"

#include <memory>
#include <mutex>

#include <GraphMol/RDKitBase.h>
#include <GraphMol/SmilesParse/SmilesParse.h>
#include <RDGeneral/RDLog.h>
#include <RDGeneral/versions.h>

namespace ssa::data {
namespace {

// Index of `value` in the contiguous range [lo, hi], or the misc index hi - lo + 1 outside it.
int64_t range_index(int64_t value, int64_t lo, int64_t hi) {
  return (value >= lo && value <= hi) ? value - lo : hi - lo + 1;
}

int64_t chirality_index(RDKit::Atom::ChiralType tag) {
  switch (tag) {
    case RDKit::Atom::CHI_UNSPECIFIED: return 0;
    case RDKit::Atom::CHI_TETRAHEDRAL_CW: return 1;
    case RDKit::Atom::CHI_TETRAHEDRAL_CCW: return 2;
    case RDKit::Atom::CHI_OTHER: return 3;
    default: return 4;  // misc (newer tags such as CHI_ALLENE)
  }
}

int64_t hybridization_index(RDKit::Atom::HybridizationType h) {
  switch (h) {
    case RDKit::Atom::SP: return 0;
    case RDKit::Atom::SP2: return 1;
    case RDKit::Atom::SP3: return 2;
    case RDKit::Atom::SP3D: return 3;
    case RDKit::Atom::SP3D2: return 4;
    default: return 5;  // misc: UNSPECIFIED, S, OTHER
  }
}

int64_t bond_type_index(RDKit::Bond::BondType t) {
  switch (t) {
    case RDKit::Bond::SINGLE: return 0;
    case RDKit::Bond::DOUBLE: return 1;
    case RDKit::Bond::TRIPLE: return 2;
    case RDKit::Bond::AROMATIC: return 3;
    default: return 4;  // misc
  }
}

// OGB's list is STEREONONE, STEREOZ, STEREOE, STEREOCIS, STEREOTRANS, STEREOANY (no misc).
int64_t bond_stereo_index(RDKit::Bond::BondStereo s) {
  switch (s) {
    case RDKit::Bond::STEREONONE: return 0;
    case RDKit::Bond::STEREOZ: return 1;
    case RDKit::Bond::STEREOE: return 2;
    case RDKit::Bond::STEREOCIS: return 3;
    case RDKit::Bond::STEREOTRANS: return 4;
    default: return 5;  // STEREOANY
  }
}

std::array<int64_t, kAtomFeatures> atom_features(const RDKit::ROMol& mol, const RDKit::Atom& atom) {
  return {
      range_index(atom.getAtomicNum(), 1, 118),
      chirality_index(atom.getChiralTag()),
      range_index(static_cast<int64_t>(atom.getTotalDegree()), 0, 10),
      range_index(atom.getFormalCharge(), -5, 5),
      range_index(static_cast<int64_t>(atom.getTotalNumHs()), 0, 8),
      range_index(static_cast<int64_t>(atom.getNumRadicalElectrons()), 0, 4),
      hybridization_index(atom.getHybridization()),
      atom.getIsAromatic() ? 1 : 0,
      mol.getRingInfo()->numAtomRings(atom.getIdx()) > 0 ? 1 : 0,
  };
}

std::array<int64_t, kBondFeatures> bond_features(const RDKit::Bond& bond) {
  return {bond_type_index(bond.getBondType()), bond_stereo_index(bond.getStereo()), bond.getIsConjugated() ? 1 : 0};
}

// Once initialised (the Python module does it, and so may other code in the process), RDKit's
// loggers report every unparsable SMILES on stderr, and a bad file would flood the log. Put them
// in a known state, then switch them all off. Once, before any parsing: the switch is global.
void silence_rdkit_logs() {
  static std::once_flag once;
  std::call_once(once, [] {
    RDLog::InitLogs();
    boost::logging::disable_logs("rdApp.*");
  });
}

// Python's Chem.MolFromSmiles(s): sanitize and remove Hs; null (or an exception) when invalid.
std::unique_ptr<RDKit::RWMol> parse_smiles(const std::string& smiles) {
  try {
    return std::unique_ptr<RDKit::RWMol>(RDKit::SmilesToMol(smiles));
  } catch (...) {
    return nullptr;
  }
}

MoleculeGraph graph_of(const RDKit::ROMol& mol) {
  MoleculeGraph g;
  g.num_nodes = mol.getNumAtoms();
  g.node_feat.reserve(static_cast<size_t>(g.num_nodes * kAtomFeatures));
  for (const RDKit::Atom* atom : mol.atoms()) {
    for (int64_t f : atom_features(mol, *atom)) g.node_feat.push_back(f);
  }
  std::vector<int64_t> sources, targets;
  for (const RDKit::Bond* bond : mol.bonds()) {
    const int64_t i = bond->getBeginAtomIdx(), j = bond->getEndAtomIdx();
    sources.insert(sources.end(), {i, j});
    targets.insert(targets.end(), {j, i});
    const auto features = bond_features(*bond);
    for (int copy = 0; copy < 2; ++copy) g.edge_feat.insert(g.edge_feat.end(), features.begin(), features.end());
  }
  g.edge_index = std::move(sources);
  g.edge_index.insert(g.edge_index.end(), targets.begin(), targets.end());
  return g;
}

}  // namespace

std::optional<MoleculeGraph> smiles_to_graph(const std::string& smiles) {
  silence_rdkit_logs();
  const auto mol = parse_smiles(smiles);
  if (!mol) return std::nullopt;
  try {
    return graph_of(*mol);
  } catch (...) {  // an RDKit invariant on a strange molecule: treat it as malformed input
    return std::nullopt;
  }
}

std::string featurizer_version() { return std::string("RDKit ") + RDKit::rdkitVersion; }

}  // namespace ssa::data
