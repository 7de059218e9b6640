// Molecule data for EGT: OGB smiles2graph features, shortest paths and SVD encodings, the binary
// cache (round trip, corruption, staleness), padded batches, CSV / split-file errors, and the
// real RDKit sample file. Built only with SSA_WITH_RDKIT.
#include "tests/support/catch.h"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <thread>

#include <ATen/ATen.h>

#include "lib/core/error.h"
#include "lib/data/graph_encodings.h"
#include "lib/data/molecule_cache.h"
#include "lib/data/molecule_csv.h"
#include "lib/data/molecule_dataset.h"
#include "lib/data/molecule_features.h"
#include "lib/data/molecule_split_file.h"

using namespace ssa;
using namespace ssa::data;
namespace fs = std::filesystem;

namespace {

const char* kFirst5k = "/usr/share/RDKit/Data/NCI/first_5k.tpsa.csv";

// An empty folder of its own for each test.
std::string fresh_dir(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("ssa_molecule_test_" + std::to_string(::getpid())) / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir.string();
}

std::string write_text(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

std::string write_gzip(const std::string& path, const std::string& text) {
  gzFile f = gzopen(path.c_str(), "wb");
  gzwrite(f, text.data(), static_cast<unsigned>(text.size()));
  gzclose(f);
  return path;
}

std::vector<int64_t> row_of(const std::vector<int64_t>& flat, int64_t width, int64_t row) {
  return std::vector<int64_t>(flat.begin() + row * width, flat.begin() + (row + 1) * width);
}

GraphEdges path_graph(int64_t n) {
  GraphEdges e;
  for (int64_t i = 0; i + 1 < n; ++i) e.emplace_back(i, i + 1);
  return e;
}

GraphEdges ring_graph(int64_t n) {
  GraphEdges e = path_graph(n);
  e.emplace_back(n - 1, 0);
  return e;
}

// Σ_k enc[i][k] enc[j][r+k]: entry (i, j) of U S Vᵀ from the encodings.
double reconstructed(const std::vector<float>& enc, int64_t i, int64_t j) {
  double sum = 0;
  for (int64_t k = 0; k < kSvdRank; ++k)
    sum += double(enc[i * 2 * kSvdRank + k]) * enc[j * 2 * kSvdRank + kSvdRank + k];
  return sum;
}

// ‖column k of U sqrt(S)‖² = s_k, since u_k has unit norm.
double column_square_norm(const std::vector<float>& enc, int64_t n, int64_t k) {
  double sum = 0;
  for (int64_t i = 0; i < n; ++i) sum += double(enc[i * 2 * kSvdRank + k]) * enc[i * 2 * kSvdRank + k];
  return sum;
}

std::string input_error(const std::function<void()>& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no error)";
}

// stderr written while f runs (RDKit logs there unless silenced).
std::string captured_stderr(const std::function<void()>& f, const std::string& dir) {
  const std::string path = dir + "/stderr.txt";
  fflush(stderr);
  const int saved = ::dup(2), file = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  ::dup2(file, 2);
  f();
  fflush(stderr);
  ::dup2(saved, 2);
  ::close(file);
  ::close(saved);
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

const char* kSmallCsv =
    "smiles,y\n"
    "# a comment line\n"
    "Cl[C@H](/C=C/C)Br,1.5\n"
    "c1ccccc1O,2.0\n"
    "C1CC,3.0\n"  // malformed: unclosed ring, line 5
    "CC(=O)O,-1.25\n"
    "\n"
    "[Na+].[Cl-],0.5\n"  // two components
    "CCO,4\n";

std::shared_ptr<const MoleculeCache> small_cache(const std::string& dir, const std::string& csv) {
  return MoleculeCache::load_or_build(
      dir + "/small.molcache", "key-1", [&] { return read_molecule_csv(csv, ""); }, 2);
}

}  // namespace

TEST_CASE("OGB self-test molecule gives the published features", "[molecules]") {
  const auto g = smiles_to_graph("Cl[C@H](/C=C/C)Br");
  REQUIRE(g);
  REQUIRE(g->num_nodes == 6);
  REQUIRE(g->num_edges() == 10);
  REQUIRE(row_of(g->node_feat, kAtomFeatures, 1) == std::vector<int64_t>{5, 2, 4, 5, 1, 0, 2, 0, 0});
  REQUIRE(row_of(g->node_feat, kAtomFeatures, 5) == std::vector<int64_t>{34, 0, 1, 5, 0, 0, 2, 0, 0});  // Br
  REQUIRE(row_of(g->edge_feat, kBondFeatures, 4) == std::vector<int64_t>{1, 2, 0});  // bond 2, i -> j
  REQUIRE(row_of(g->edge_feat, kBondFeatures, 5) == std::vector<int64_t>{1, 2, 0});  // bond 2, j -> i
  const int64_t m = g->num_edges();
  REQUIRE(g->edge_index[4] == 2);  // bond 2 joins atoms 2 and 3, stored both ways
  REQUIRE(g->edge_index[m + 4] == 3);
  REQUIRE(g->edge_index[5] == 3);
  REQUIRE(g->edge_index[m + 5] == 2);
}

TEST_CASE("feature values stay inside their vocabularies: odd values land in misc", "[molecules]") {
  REQUIRE(kAtomVocabSizes == std::array<int64_t, 9>{119, 5, 12, 12, 10, 6, 6, 2, 2});
  REQUIRE(kBondVocabSizes == std::array<int64_t, 3>{5, 6, 2});
  // Expected rows from a Python OGB smiles2graph on RDKit 2022.09 (tests/scripts/ogb_features.py).
  REQUIRE(row_of(smiles_to_graph("*C")->node_feat, 9, 0) == std::vector<int64_t>{118, 0, 1, 5, 0, 0, 5, 0, 0});
  REQUIRE(row_of(smiles_to_graph("[Fe+6]")->node_feat, 9, 0) == std::vector<int64_t>{25, 0, 0, 11, 0, 0, 5, 0, 0});
  REQUIRE(row_of(smiles_to_graph("[Pt@SP1](F)(Cl)(Br)I")->node_feat, 9, 0) ==
          std::vector<int64_t>{77, 4, 4, 5, 0, 0, 5, 0, 0});
  REQUIRE(row_of(smiles_to_graph("[C]")->node_feat, 9, 0) == std::vector<int64_t>{5, 0, 0, 5, 0, 4, 2, 0, 0});
  REQUIRE(row_of(smiles_to_graph("[NH3]->[Cu]")->edge_feat, 3, 0) == std::vector<int64_t>{4, 0, 0});  // dative
  REQUIRE(row_of(smiles_to_graph("c1ccccc1")->edge_feat, 3, 0) == std::vector<int64_t>{3, 0, 1});     // aromatic
  REQUIRE(row_of(smiles_to_graph("c1ccccc1")->node_feat, 9, 0) == std::vector<int64_t>{5, 0, 3, 5, 1, 0, 1, 1, 1});
  for (const char* smiles : {"CC(=O)Oc1ccccc1C(=O)O", "C[N+](C)(C)C", "O=S(=O)(O)O", "C#N", "[U]"}) {
    const auto g = smiles_to_graph(smiles);
    REQUIRE(g);
    for (int64_t i = 0; i < g->num_nodes * kAtomFeatures; ++i) {
      REQUIRE(g->node_feat[i] >= 0);
      REQUIRE(g->node_feat[i] < kAtomVocabSizes[i % kAtomFeatures]);
    }
    for (int64_t i = 0; i < g->num_edges() * kBondFeatures; ++i)
      REQUIRE(g->edge_feat[i] < kBondVocabSizes[i % kBondFeatures]);
  }
}

TEST_CASE("malformed SMILES give nullopt quietly, without crashing", "[molecules]") {
  const std::string dir = fresh_dir("malformed");
  int malformed = 0;
  const std::string printed = captured_stderr(
      [&] {
        for (const char* smiles : {"C1CC", "c1cccc1", "CC(C)(C)(C)(C)", "not a molecule", "C(((", "[Xx]"}) {
          malformed += smiles_to_graph(smiles) ? 0 : 1;
        }
      },
      dir);
  REQUIRE(malformed == 6);
  REQUIRE(printed.empty());
  const auto empty = smiles_to_graph("");  // RDKit parses "" as a molecule without atoms
  REQUIRE(empty);
  REQUIRE(empty->num_nodes == 0);
}

TEST_CASE("shortest paths: path, ring and a disconnected pair", "[molecules]") {
  const auto path = shortest_path_distances(4, path_graph(4));
  REQUIRE(path == std::vector<int64_t>{0, 1, 2, 3, 1, 0, 1, 2, 2, 1, 0, 1, 3, 2, 1, 0});
  const auto ring = shortest_path_distances(6, ring_graph(6));
  for (int64_t i = 0; i < 6; ++i) {
    for (int64_t j = 0; j < 6; ++j) REQUIRE(ring[i * 6 + j] == std::min(std::abs(i - j), 6 - std::abs(i - j)));
  }
  REQUIRE(shortest_path_distances(2, {}) == std::vector<int64_t>{0, kUnreachableDistance, kUnreachableDistance, 0});
}

TEST_CASE("SVD encodings reconstruct A + I, carry the known singular values and pad with zeros", "[molecules]") {
  const double pi = std::acos(-1.0);
  SECTION("path of 5: s_k = |1 + 2 cos(pi k / 6)|") {
    const auto enc = svd_encodings(5, path_graph(5));
    REQUIRE(enc.size() == 5 * 2 * kSvdRank);
    std::vector<double> expected;
    for (int k = 1; k <= 5; ++k) expected.push_back(std::abs(1 + 2 * std::cos(pi * k / 6)));
    std::sort(expected.rbegin(), expected.rend());
    for (int64_t k = 0; k < 5; ++k) REQUIRE(column_square_norm(enc, 5, k) == Approx(expected[k]).margin(1e-5));
    for (int64_t k = 5; k < kSvdRank; ++k) REQUIRE(column_square_norm(enc, 5, k) == 0.0);  // N < r: zero-padded
    for (int64_t i = 0; i < 5; ++i) {
      for (int64_t j = 0; j < 5; ++j)
        REQUIRE(reconstructed(enc, i, j) == Approx(i == j || std::abs(i - j) == 1).margin(1e-5));
    }
  }
  SECTION("ring of 6 (negative and repeated eigenvalues) reconstructs exactly") {
    const auto enc = svd_encodings(6, ring_graph(6));
    for (int64_t i = 0; i < 6; ++i) {
      for (int64_t j = 0; j < 6; ++j) {
        const int64_t d = std::min(std::abs(i - j), 6 - std::abs(i - j));
        REQUIRE(reconstructed(enc, i, j) == Approx(d <= 1 ? 1.0 : 0.0).margin(1e-5));
      }
    }
    REQUIRE(column_square_norm(enc, 6, 0) == Approx(3.0).margin(1e-5));  // 1 + 2 cos(0)
  }
  SECTION("disconnected pair: A + I = I") {
    const auto enc = svd_encodings(2, {});
    REQUIRE(reconstructed(enc, 0, 0) == Approx(1.0));
    REQUIRE(reconstructed(enc, 0, 1) == Approx(0.0).margin(1e-7));
  }
  SECTION("more nodes than components: top r kept, same numbers every call, largest entry positive") {
    const auto enc = svd_encodings(12, ring_graph(12));
    REQUIRE(enc == svd_encodings(12, ring_graph(12)));
    REQUIRE(column_square_norm(enc, 12, 0) == Approx(3.0).margin(1e-5));
    for (int64_t k = 0; k + 1 < kSvdRank; ++k)
      REQUIRE(column_square_norm(enc, 12, k) >= column_square_norm(enc, 12, k + 1) - 1e-5);
    for (int64_t k = 0; k < kSvdRank; ++k) {
      float largest = 0;
      for (int64_t i = 0; i < 12; ++i) {
        if (std::abs(enc[i * 2 * kSvdRank + k]) > std::abs(largest) + 1e-6f) largest = enc[i * 2 * kSvdRank + k];
      }
      REQUIRE(largest > 0);
    }
  }
}

TEST_CASE("the cache round-trips the fresh featurization and counts malformed rows", "[molecules]") {
  const std::string dir = fresh_dir("roundtrip");
  const std::string csv = write_text(dir + "/small.csv", kSmallCsv);
  const auto cache = small_cache(dir, csv);
  REQUIRE(cache->origin() == CacheOrigin::kBuilt);
  REQUIRE(cache->size() == 6);
  REQUIRE(cache->malformed_count() == 1);
  REQUIRE(cache->malformed_lines() == std::vector<int64_t>{5});
  const auto rows = read_molecule_csv(csv, "");
  for (int64_t row = 0; row < cache->size(); ++row) {
    const auto fresh = smiles_to_graph(rows[row].smiles);
    REQUIRE(cache->parsed(row) == fresh.has_value());
    if (!fresh) continue;
    const MoleculeRecord r = cache->record(row);
    REQUIRE(r.target == rows[row].target);
    REQUIRE(r.num_nodes == fresh->num_nodes);
    REQUIRE(std::vector<int64_t>(r.node_feat, r.node_feat + r.num_nodes * 9) == fresh->node_feat);
    GraphEdges edges;
    for (int64_t b = 0; b < r.num_bonds; ++b) {
      edges.emplace_back(fresh->edge_index[2 * b], fresh->edge_index[fresh->num_edges() + 2 * b]);
      REQUIRE(std::vector<int64_t>(r.bonds + 5 * b + 2, r.bonds + 5 * b + 5) == row_of(fresh->edge_feat, 3, 2 * b));
    }
    REQUIRE(r.edges() == edges);
    std::vector<float> svd(r.num_nodes * 2 * kSvdRank);
    for (int64_t i = 0; i < r.num_nodes; ++i) r.svd_row(i, svd.data() + i * 2 * kSvdRank);
    REQUIRE(svd == svd_encodings(fresh->num_nodes, edges));
  }
  REQUIRE(small_cache(dir, csv)->origin() == CacheOrigin::kLoaded);
}

TEST_CASE("a corrupt, truncated or stale cache is rebuilt", "[molecules]") {
  const std::string dir = fresh_dir("corrupt");
  const std::string csv = write_text(dir + "/small.csv", kSmallCsv);
  const std::string path = dir + "/small.molcache";
  small_cache(dir, csv);
  const auto size = fs::file_size(path);
  {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(size / 2));
    f.put('\x5a');
  }
  REQUIRE(small_cache(dir, csv)->origin() == CacheOrigin::kRebuiltCorrupt);
  REQUIRE(fs::file_size(path) == size);
  fs::resize_file(path, size - 7);
  REQUIRE(small_cache(dir, csv)->origin() == CacheOrigin::kRebuiltCorrupt);
  write_text(path, "");
  REQUIRE(small_cache(dir, csv)->origin() == CacheOrigin::kRebuiltCorrupt);
  const auto rebuilt = MoleculeCache::load_or_build(
      path, "key-2", [&] { return read_molecule_csv(csv, ""); }, 1);
  REQUIRE(rebuilt->origin() == CacheOrigin::kRebuiltStale);
  REQUIRE(rebuilt->size() == 6);
  REQUIRE(fs::directory_iterator(dir) != fs::directory_iterator());
  for (const auto& entry : fs::directory_iterator(dir))
    REQUIRE(entry.path().string().find(".tmp.") == std::string::npos);
}

TEST_CASE("load_molecule_splits rebuilds when the source changes and keys on size and mtime", "[molecules]") {
  const std::string dir = fresh_dir("stale");
  MoleculeDataConfig c;
  c.path = write_text(dir + "/mols.csv", kSmallCsv);
  c.cache_dir = dir + "/cache";
  c.valid_fraction = 0.3;
  c.threads = 2;
  auto splits = load_molecule_splits(c);
  REQUIRE(splits.train->size() + splits.valid->size() == 5);
  write_text(c.path, std::string(kSmallCsv) + "CCN,7\n");
  splits = load_molecule_splits(c);
  REQUIRE(splits.train->size() + splits.valid->size() == 6);
}

TEST_CASE("batches pad to the largest molecule with masks and -1 / 510 fill", "[molecules]") {
  const std::string dir = fresh_dir("batch");
  const std::string csv = write_text(dir + "/small.csv", kSmallCsv);
  const auto cache = small_cache(dir, csv);
  // Rows: 0 Cl[C@H](/C=C/C)Br (6 atoms), 1 phenol (7), 3 acetic acid (4), 4 [Na+].[Cl-] (2).
  const MoleculeDataset data(cache, {0, 1, 3, 4}, "test");
  REQUIRE(data.size() == 4);
  const Batch b = data.batch({3, 2, 0, 1}, std::nullopt);
  REQUIRE(b.input.sizes() == at::IntArrayRef{4, 7, 9});
  REQUIRE(b.node_mask.sizes() == at::IntArrayRef{4, 7});
  REQUIRE(b.edge_feat.sizes() == at::IntArrayRef{4, 7, 7, 3});
  REQUIRE(b.distance.sizes() == at::IntArrayRef{4, 7, 7});
  REQUIRE(b.svd.sizes() == at::IntArrayRef{4, 7, 16});
  REQUIRE(b.target.sizes() == at::IntArrayRef{4});
  REQUIRE(b.input.scalar_type() == at::kLong);
  REQUIRE(b.svd.scalar_type() == at::kFloat);
  REQUIRE(b.node_mask.sum(1).to(at::kLong).equal(at::tensor({2, 4, 6, 7}, at::kLong)));
  REQUIRE(b.target[1].item<float>() == -1.25f);
  // Graph 0, [Na+].[Cl-]: two atoms, no bond, unreachable from each other; the rest is padding.
  REQUIRE(b.input[0][2].eq(-1).all().item<bool>());
  REQUIRE(b.edge_feat[0].eq(-1).all().item<bool>());
  REQUIRE(b.distance[0][0][1].item<int64_t>() == kUnreachableDistance);
  REQUIRE(b.distance[0][1][1].item<int64_t>() == 0);
  REQUIRE(b.distance[0][3][3].item<int64_t>() == kUnreachableDistance);
  REQUIRE(b.svd[0].slice(0, 2).eq(0).all().item<bool>());
  // Graph 2, the OGB molecule: bond 2 = atoms 2-3 in both directions, the diagonal unbonded.
  REQUIRE(b.edge_feat[2][2][3].equal(at::tensor({1, 2, 0}, at::kLong)));
  REQUIRE(b.edge_feat[2][3][2].equal(at::tensor({1, 2, 0}, at::kLong)));
  REQUIRE(b.edge_feat[2][2][2].eq(-1).all().item<bool>());
  REQUIRE(b.edge_feat[2].ne(-1).all(-1).sum().item<int64_t>() == 10);  // 5 bonds, both ways
  REQUIRE(b.distance[2][0][4].item<int64_t>() == 4);                   // Cl-C-C=C-C
  REQUIRE(b.input[2][1].equal(at::tensor({5, 2, 4, 5, 1, 0, 2, 0, 0}, at::kLong)));
  REQUIRE(b.input[2][6].eq(-1).all().item<bool>());
  REQUIRE(data.batch({3, 2, 0, 1}, 7).svd.equal(b.svd));  // no augmentation in the data
}

TEST_CASE("CSV problems name the file and the line", "[molecules]") {
  const std::string dir = fresh_dir("csv");
  auto read = [](const std::string& path, const std::string& target = "") {
    return input_error([&] { read_molecule_csv(path, target); });
  };
  const std::string bad_target = write_text(dir + "/t.csv", "smiles,y\nCCO,1\n# c\nCCN,abc\n");
  REQUIRE(read(bad_target) == bad_target + ":4: target 'abc' is not a number");
  const std::string short_row = write_text(dir + "/s.csv", "idx,smiles,gap\n0,CCO,1\n1,CCN\n");
  REQUIRE(read(short_row) == short_row + ":3: expected at least 3 columns, found 2");
  REQUIRE(read(dir + "/missing.csv") == dir + "/missing.csv: no such file");
  REQUIRE(read(write_text(dir + "/e.csv", "")).find("file is empty") != std::string::npos);
  REQUIRE(read(write_text(dir + "/h.csv", "# only\nsmiles,y\n")).find("no molecule rows") != std::string::npos);
  const std::string no_smiles = write_text(dir + "/n.csv", "mol,y\nCCO,1\n");
  REQUIRE(read(no_smiles) == no_smiles + ":1: header has no 'smiles' column (columns: mol, y)");
  const std::string named = write_text(dir + "/c.csv", "smiles,homolumogap,other\nCCO,1,2\n");
  REQUIRE(read(named, "homolumogpa").find("did you mean 'homolumogap'?") != std::string::npos);
  REQUIRE(read_molecule_csv(named, "homolumogap")[0].target == 1.0f);
  REQUIRE(read_molecule_csv(named, "")[0].target == 2.0f);                     // the last column by default
  const std::string gz = write_gzip(dir + "/g.csv.gz", "CCO,1.5\nCCN,nan\n");  // no header
  const auto rows = read_molecule_csv(gz, "");
  REQUIRE(rows.size() == 2);
  REQUIRE(rows[0].smiles == "CCO");
  REQUIRE(std::isnan(rows[1].target));
  REQUIRE(rows[1].line == 2);
  std::string bytes;
  {
    std::ifstream in(gz, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  const std::string cut = write_text(dir + "/cut.csv.gz", bytes.substr(0, bytes.size() - 10));
  REQUIRE(read(cut).find(cut + ": cannot decompress (") == 0);
}

TEST_CASE("PCQM4Mv2 layout: torch-saved split tensors, numpy splits refused with a fix, text splits", "[molecules]") {
  const std::string dir = fresh_dir("pcqm");
  fs::create_directories(dir + "/raw");
  write_gzip(dir + "/raw/data.csv.gz",
             "idx,smiles,homolumogap\n0,CCO,3.1\n1,c1ccccc1,5.2\n2,C1CC,1.0\n3,CCN,\n4,CC=O,4.4\n");
  const std::string script =
      "import torch, numpy as np\n"
      "torch.save({'train': torch.tensor([0, 1, 2]), 'valid': torch.tensor([4]), 'test-dev': torch.tensor([3]),"
      " 'test-challenge': torch.tensor([], dtype=torch.long)}, '" +
      dir +
      "/split_dict.pt')\n"
      "torch.save({'train': np.array([0, 1]), 'valid': np.array([4])}, '" +
      dir +
      "/numpy_split.pt')\n"
      "torch.save({'train': torch.tensor([0, 1]), 'test': torch.tensor([2])}, '" +
      dir + "/bad_split.pt')\n";
  write_text(dir + "/make_splits.py", script);
  if (std::system(("/usr/bin/python3 " + dir + "/make_splits.py 2>/dev/null").c_str()) != 0) {
    WARN("skipped the torch.save part: /usr/bin/python3 with torch is not available");
  } else {
    const IndexSplits splits = read_split_file(dir + "/split_dict.pt");
    REQUIRE(splits.at("train") == std::vector<int64_t>{0, 1, 2});
    REQUIRE(splits.at("test-challenge").empty());
    MoleculeDataConfig c;
    c.source = MoleculeSource::kPcqm4mv2;
    c.path = dir;
    c.cache_dir = dir + "/cache";
    const MoleculeSplits loaded = load_molecule_splits(c);
    REQUIRE(loaded.train->size() == 2);  // row 2 is malformed
    REQUIRE(loaded.valid->size() == 1);
    REQUIRE(loaded.valid->batch({0}, std::nullopt).target.item<float>() == 4.4f);
    REQUIRE(input_error([&] { read_split_file(dir + "/numpy_split.pt"); }).find("holds numpy arrays") !=
            std::string::npos);
    c.split_path = dir + "/bad_split.pt";
    const std::string message = input_error([&] { load_molecule_splits(c); });
    CAPTURE(message);
    REQUIRE(message.find("bad_split.pt: no 'valid' split (has: test, train)") != std::string::npos);
  }
  MoleculeDataConfig c;
  c.source = MoleculeSource::kPcqm4mv2;
  c.path = dir;
  c.cache_dir = dir + "/cache";
  c.split_path = write_text(dir + "/split.csv", "split,index\ntrain,0\ntrain,1\nvalid,4\ntest-dev,3\n");
  REQUIRE(load_molecule_splits(c).train->size() == 2);
  c.split_path = write_text(dir + "/range.csv", "train,0\nvalid,5\n");
  REQUIRE(input_error([&] { load_molecule_splits(c); }).find("split 'valid' has index 5, but") != std::string::npos);
  c.split_path = write_text(dir + "/garbled.csv", "split,index\ntrain,0\nvalid;4\n");
  REQUIRE(input_error([&] { load_molecule_splits(c); }) == c.split_path + ":3: expected 'split,index', got 'valid;4'");
  c.path = dir + "/nowhere";
  REQUIRE(input_error([&] { load_molecule_splits(c); }).find("no raw/data.csv.gz") != std::string::npos);
}

TEST_CASE("bad molecule settings are ConfigErrors", "[molecules]") {
  MoleculeDataConfig c;
  REQUIRE_THROWS_AS(load_molecule_splits(c), ConfigError);
  c.path = kFirst5k;
  c.max_nodes = 300;
  REQUIRE_THROWS_AS(load_molecule_splits(c), ConfigError);
  c.max_nodes = 128;
  c.valid_fraction = 1.0;
  REQUIRE_THROWS_AS(load_molecule_splits(c), ConfigError);
}

TEST_CASE("processes needing the same missing cache featurize it once: the others wait and map it", "[molecules]") {
  const std::string dir = fresh_dir("concurrent");
  const std::string csv = write_text(dir + "/small.csv", kSmallCsv);
  std::atomic<int> featurized{0};
  const auto read_rows = [&] {
    ++featurized;
    std::this_thread::sleep_for(std::chrono::milliseconds(300));  // the other loader arrives meanwhile
    return read_molecule_csv(csv, "");
  };
  // flock conflicts between separately opened files, so threads stand in for ranks here.
  std::vector<std::shared_ptr<const MoleculeCache>> caches(3);
  std::vector<std::thread> loaders;
  for (auto& cache : caches) {
    loaders.emplace_back([&] { cache = MoleculeCache::load_or_build(dir + "/small.molcache", "key-1", read_rows, 1); });
  }
  for (auto& t : loaders) t.join();
  CHECK(featurized == 1);
  int built = 0;
  for (const auto& cache : caches) {
    built += cache->origin() == CacheOrigin::kBuilt;
    CHECK(cache->size() == 6);
  }
  CHECK(built == 1);
}

// What first_5k gives with each RDKit release Debian ships: the source lines where Python RDKit's
// MolFromSmiles of the same release also returns None (checked with python3-rdkit on Debian 12 and
// 13; 2025.03 parses 1827 and 3401 and refuses four others), and the resulting train split.
struct First5kExpected {
  std::vector<int64_t> malformed_lines;
  int64_t valid_size;
  std::string train_description;
};
const std::map<std::string, First5kExpected> kFirst5kByRelease = {
    {"RDKit 2022.09", {{1827, 2099, 3228, 3401, 4510, 4598}, 249, "4744 molecules (train), up to 122 atoms, mean 16.4"}},
    {"RDKit 2025.03",
     {{2099, 2899, 3228, 3371, 4510, 4597, 4598, 4782}, 249, "4742 molecules (train), up to 122 atoms, mean 16.4"}},
};

TEST_CASE("RDKit's first_5k sample: the molecules Python RDKit refuses are refused, the rest parse", "[molecules]") {
  if (!fs::exists(kFirst5k)) {
    WARN("skipped: " << kFirst5k << " is missing (Debian package rdkit-data)");
    return;
  }
  const std::string release = ssa::data::featurizer_version().substr(0, 13);  // "RDKit 2025.03"
  INFO(ssa::data::featurizer_version() << ": add its lines to kFirst5kByRelease, checked against Python RDKit");
  REQUIRE(kFirst5kByRelease.count(release) == 1);
  const First5kExpected& expected = kFirst5kByRelease.at(release);
  const std::string dir = fresh_dir("first5k");
  MoleculeDataConfig c;
  c.path = kFirst5k;
  c.cache_dir = dir;
  c.threads = 2;
  const MoleculeSplits splits = load_molecule_splits(c);
  const auto cache_files = std::count_if(
      fs::directory_iterator(dir), fs::directory_iterator(),
      [](const fs::directory_entry& e) { return e.path().extension() == ".molcache"; });
  REQUIRE(cache_files == 1);
  const MoleculeCache& cache = splits.train->cache();
  REQUIRE(cache.malformed_lines() == expected.malformed_lines);
  REQUIRE(cache.malformed_count() == static_cast<int64_t>(expected.malformed_lines.size()));
  const auto rows = read_molecule_csv(kFirst5k, "");
  REQUIRE(rows.size() == 4999);
  REQUIRE(static_cast<int64_t>(splits.train->size() + splits.valid->size()) == 4999 - cache.malformed_count());
  REQUIRE(static_cast<int64_t>(splits.valid->size()) == expected.valid_size);  // round(0.05 * 4999) = 250 held out
  CAPTURE(splits.train->describe());
  REQUIRE(splits.train->describe() == expected.train_description);
  const Batch b = splits.valid->batch({0, 1, 2, 3}, std::nullopt);
  REQUIRE(b.node_mask.sum().item<int64_t>() > 0);
}
