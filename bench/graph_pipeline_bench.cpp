// Molecule pipeline throughput, in graphs per second: RDKit featurization and the SVD/SPD
// encodings without a cache (one thread), the cache build (all threads), and batch() from the
// cache (one thread), which is what training waits on; then what the model consumes: one EGT
// training step (forward + backward) per batch, graph SSA U20 and dense, for the `debug` and
// `egt-small` flavors. Not a test; numbers go to docs/benchmarks.md.
// Usage: ssa_bench_graph_pipeline [csv (default RDKit's first_5k.tpsa.csv)] [batch size (256)]
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>

#include <unistd.h>

#include "lib/core/cpu_threads.h"
#include "lib/core/splitmix.h"
#include "lib/data/graph_encodings.h"
#include "lib/data/molecule_csv.h"
#include "lib/data/molecule_dataset.h"
#include "lib/data/molecule_features.h"
#include "models/egt/egt.h"

using namespace ssa::data;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

void print_row(const char* stage, int64_t threads, int64_t graphs, double seconds) {
  std::printf("| %-34s | %7lld | %7lld | %8.3f | %10.0f |\n", stage, static_cast<long long>(threads),
              static_cast<long long>(graphs), seconds, static_cast<double>(graphs) / seconds);
}

GraphEdges edges_of(const MoleculeGraph& g) {
  GraphEdges edges;
  for (int64_t b = 0; b < g.num_edges() / 2; ++b)
    edges.emplace_back(g.edge_index[2 * b], g.edge_index[g.num_edges() + 2 * b]);
  return edges;
}

void bench_uncached(const std::vector<MoleculeRow>& rows) {
  std::vector<MoleculeGraph> graphs;
  auto start = Clock::now();
  for (const auto& row : rows) {
    if (auto g = smiles_to_graph(row.smiles)) graphs.push_back(std::move(*g));
  }
  print_row("RDKit smiles_to_graph", 1, static_cast<int64_t>(rows.size()), seconds_since(start));
  start = Clock::now();
  for (const auto& g : graphs) svd_encodings(g.num_nodes, edges_of(g));
  print_row("SVD encodings (Jacobi)", 1, static_cast<int64_t>(graphs.size()), seconds_since(start));
  start = Clock::now();
  for (const auto& g : graphs) shortest_path_distances(g.num_nodes, edges_of(g));
  print_row("shortest paths (BFS)", 1, static_cast<int64_t>(graphs.size()), seconds_since(start));
}

void bench_batches(const MoleculeDataset& data, int64_t batch_size) {
  ssa::SplitMix64 rng(1);
  int64_t graphs = 0;
  const auto start = Clock::now();
  while (seconds_since(start) < 2.0) {
    std::vector<int64_t> indices(static_cast<size_t>(batch_size));
    for (auto& i : indices) i = static_cast<int64_t>(rng.below(static_cast<uint64_t>(data.size())));
    data.batch(indices, std::nullopt);
    graphs += batch_size;
  }
  print_row(("batch() from the cache, B=" + std::to_string(batch_size)).c_str(), 1, graphs, seconds_since(start));
}

// Training steps (forward + backward) of an EGT flavor on random batches, in graphs per second.
void bench_model(const MoleculeDataset& data, int64_t batch_size, const std::string& flavor, bool ssa) {
  ssa::models::EgtConfig config = ssa::models::egt_flavor(flavor);
  config.ssa.drop_ratio = 0.2;
  config.ssa.layers = ssa ? -1 : 0;
  ssa::models::Egt model(config, 1);
  model.train();
  ssa::SplitMix64 rng(2);
  int64_t graphs = 0;
  const auto start = Clock::now();
  while (graphs == 0 || seconds_since(start) < 3.0) {
    std::vector<int64_t> indices(static_cast<size_t>(batch_size));
    for (auto& i : indices) i = static_cast<int64_t>(rng.below(static_cast<uint64_t>(data.size())));
    model.zero_grad();
    model.loss(data.batch(indices, std::nullopt)).sum.backward();
    graphs += batch_size;
  }
  const std::string stage = "EGT " + flavor + (ssa ? " U20" : " dense") + " step, B=" + std::to_string(batch_size);
  print_row(stage.c_str(), at::get_num_threads(), graphs, seconds_since(start));
}

}  // namespace

int main(int argc, char** argv) {
  const std::string csv = argc > 1 ? argv[1] : "/usr/share/RDKit/Data/NCI/first_5k.tpsa.csv";
  const int64_t batch_size = argc > 2 ? std::stoll(argv[2]) : 256;
  const auto rows = read_molecule_csv(csv, "");
  const auto cache_dir = std::filesystem::temp_directory_path() / ("ssa_graph_bench_" + std::to_string(::getpid()));
  std::printf("%s: %zu rows\n\n", csv.c_str(), rows.size());
  std::printf("| %-34s | %7s | %7s | %8s | %10s |\n", "stage", "threads", "graphs", "seconds", "graphs/s");
  std::printf("|%s|---------|---------|----------|------------|\n", std::string(36, '-').c_str());
  bench_uncached(rows);
  MoleculeDataConfig config;
  config.path = csv;
  config.cache_dir = cache_dir.string();
  const int64_t threads = ssa::usable_cores();  // what data.molecules.threads = 0 (the default) uses
  const auto start = Clock::now();
  const MoleculeSplits splits = load_molecule_splits(config);
  print_row("cache build (featurize + write)", threads, static_cast<int64_t>(rows.size()), seconds_since(start));
  bench_batches(*splits.train, batch_size);
  ssa::set_cpu_threads(static_cast<int>(threads));
  for (const std::string flavor : {"debug", "egt-small"}) {
    for (const bool ssa : {true, false}) bench_model(*splits.train, batch_size, flavor, ssa);
  }
  std::filesystem::remove_all(cache_dir);
  return 0;
}
