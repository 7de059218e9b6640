#!/usr/bin/python3
"""Cross-checks the C++ molecule features against a Python re-implementation of OGB's
smiles2graph (ogb/utils/features.py, vocabularies as in model-specs.md B) on RDKit's first_5k
sample plus odd molecules, and the SVD encodings against numpy's SVD of A + I.

Usage: molecule_crosscheck.py DUMP_BIN [CSV]. Exits 77 (skipped) without python3-rdkit.
"""
import json
import subprocess
import sys

try:
    import numpy as np
    from rdkit import Chem, RDLogger
except ImportError:
    print("skipped: needs python3-rdkit and python3-numpy")
    sys.exit(77)

RDLogger.DisableLog("rdApp.*")

VOCAB = {
    "atomic_num": list(range(1, 119)) + ["misc"],
    "chirality": ["CHI_UNSPECIFIED", "CHI_TETRAHEDRAL_CW", "CHI_TETRAHEDRAL_CCW", "CHI_OTHER", "misc"],
    "degree": list(range(11)) + ["misc"],
    "formal_charge": list(range(-5, 6)) + ["misc"],
    "num_hs": list(range(9)) + ["misc"],
    "radical_electrons": list(range(5)) + ["misc"],
    "hybridization": ["SP", "SP2", "SP3", "SP3D", "SP3D2", "misc"],
    "bond_type": ["SINGLE", "DOUBLE", "TRIPLE", "AROMATIC", "misc"],
    "bond_stereo": ["STEREONONE", "STEREOZ", "STEREOE", "STEREOCIS", "STEREOTRANS", "STEREOANY"],
}
ODD_MOLECULES = ["Cl[C@H](/C=C/C)Br", "*C", "[Fe+6]", "[Na+].[Cl-]", "[Pt@SP1](F)(Cl)(Br)I", "[NH3]->[Cu]",
                 "[C]", "C1CC", "c1cccc1", "[U]", "C/C=C\\C", "O=C=O", "[2H]C"]


def index(vocab, value):
    """OGB's safe_index: the last entry for values outside the list."""
    try:
        return vocab.index(value)
    except ValueError:
        return len(vocab) - 1


def smiles2graph(smiles):
    mol = Chem.MolFromSmiles(smiles)
    if mol is None:
        return None
    atoms = [[index(VOCAB["atomic_num"], a.GetAtomicNum()), index(VOCAB["chirality"], str(a.GetChiralTag())),
              index(VOCAB["degree"], a.GetTotalDegree()), index(VOCAB["formal_charge"], a.GetFormalCharge()),
              index(VOCAB["num_hs"], a.GetTotalNumHs()), index(VOCAB["radical_electrons"], a.GetNumRadicalElectrons()),
              index(VOCAB["hybridization"], str(a.GetHybridization())), int(a.GetIsAromatic()), int(a.IsInRing())]
             for a in mol.GetAtoms()]
    sources, targets, features = [], [], []
    for b in mol.GetBonds():
        i, j = b.GetBeginAtomIdx(), b.GetEndAtomIdx()
        f = [index(VOCAB["bond_type"], str(b.GetBondType())), index(VOCAB["bond_stereo"], str(b.GetStereo())),
             int(b.GetIsConjugated())]
        sources += [i, j]
        targets += [j, i]
        features += [f, f]
    return {"atoms": atoms, "edge_index": [sources, targets] if sources else [], "edge_feat": features}


def check_svd(smiles, graph, svd, rank=8):
    n = len(graph["atoms"])
    a = np.eye(n)
    if graph["edge_index"]:
        a[graph["edge_index"][0], graph["edge_index"][1]] = 1
    u, s, vt = np.linalg.svd(a)
    enc = np.array(svd, dtype=np.float64).reshape(n, 2 * rank)
    k = min(n, rank)
    ours = (enc[:, :rank] ** 2).sum(0)
    assert np.allclose(ours[:k], s[:k], atol=1e-4), (smiles, ours[:k], s[:k])
    assert np.all(ours[k:] == 0), smiles
    if n > rank and s[rank - 1] - s[rank] < 1e-6:
        return  # the rank-r truncation is not unique across a repeated singular value
    expected = (u[:, :k] * s[:k]) @ vt[:k]
    assert np.allclose(enc[:, :rank] @ enc[:, rank:].T, expected, atol=1e-4), smiles


def main():
    dump, csv = sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "/usr/share/RDKit/Data/NCI/first_5k.tpsa.csv"
    molecules = [line.split(",")[0].strip() for line in open(csv) if line.strip() and not line.startswith("#")]
    molecules += ODD_MOLECULES
    out = subprocess.run([dump], input="\n".join(molecules) + "\n", capture_output=True, text=True, check=True)
    lines = out.stdout.splitlines()
    assert len(lines) == len(molecules), (len(lines), len(molecules))
    parsed = 0
    for smiles, line in zip(molecules, lines):
        ours, reference = json.loads(line), smiles2graph(smiles)
        assert (ours is None) == (reference is None), f"{smiles}: parsed by one side only"
        if ours is None:
            continue
        parsed += 1
        for key in ("atoms", "edge_index", "edge_feat"):
            assert ours[key] == reference[key], f"{smiles}: {key} differs: {ours[key]} vs {reference[key]}"
        check_svd(smiles, reference, ours["svd"])
    print(f"ok: {parsed} of {len(molecules)} molecules match OGB smiles2graph and numpy's SVD")


if __name__ == "__main__":
    main()
