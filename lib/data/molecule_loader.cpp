// load_molecule_splits (see molecule_dataset.h): check the settings, find the source file, build
// or reuse its cache, then pick and filter the rows of each split.
#include <sys/stat.h>

#include <algorithm>
#include <cmath>
#include <filesystem>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "lib/core/error.h"
#include "lib/core/input_file.h"
#include "lib/core/splitmix.h"
#include "lib/data/molecule_dataset.h"
#include "lib/data/molecule_features.h"
#include "lib/data/molecule_split_file.h"

namespace ssa::data {
namespace {

namespace fs = std::filesystem;

void check_settings(const MoleculeDataConfig& c) {
  if (c.path.empty()) throw ConfigError("molecule data: path is empty (a CSV file, or the PCQM4Mv2 root folder)");
  if (c.max_nodes < 1 || c.max_nodes > kMaxCachedNodes) {
    throw ConfigError(fmt::format("molecule data: max_nodes must be in [1, {}], got {}", kMaxCachedNodes, c.max_nodes));
  }
  if (c.source == MoleculeSource::kCsv && !(c.valid_fraction > 0 && c.valid_fraction < 1)) {
    throw ConfigError(fmt::format("molecule data: valid_fraction must be in (0, 1), got {}", c.valid_fraction));
  }
  if (c.threads < 0)
    throw ConfigError(fmt::format("molecule data: threads must be >= 0 (0 = every core), got {}", c.threads));
}

std::string source_file(const MoleculeDataConfig& c) {
  if (c.source == MoleculeSource::kCsv) return c.path;
  const std::string file = (fs::path(c.path) / "raw" / "data.csv.gz").string();
  if (!fs::exists(file)) {
    throw InputError(c.path + ": no raw/data.csv.gz (expected the PCQM4Mv2 layout: raw/data.csv.gz, split_dict.pt)");
  }
  return file;
}

uint64_t fnv1a(const std::string& text) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char ch : text) h = (h ^ ch) * 0x100000001b3ULL;
  return h;
}

struct CacheIdentity {
  std::string path;  // where the cache file lives
  std::string key;   // what it must have been made from
};

// The key changes with the source's size or mtime, the target column and the featurizer.
CacheIdentity cache_identity(const MoleculeDataConfig& c, const std::string& source) {
  check_input_file(source);
  struct stat st {};
  if (::stat(source.c_str(), &st) != 0) throw InputError(source + ": no such file");
  const std::string absolute = fs::absolute(source).lexically_normal().string();
  const int64_t mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  const std::string key = fmt::format("source={};size={};mtime_ns={};target_column={};featurizer={};svd_rank={}",
                                      absolute, st.st_size, mtime_ns, c.target_column, featurizer_version(), kSvdRank);
  const fs::path dir = c.cache_dir.empty() ? fs::path(absolute).parent_path() : fs::path(c.cache_dir);
  const std::string name = fmt::format("{}.{:016x}.molcache", fs::path(source).filename().string(),
                                       fnv1a(absolute + "|" + c.target_column));
  return {(dir / name).string(), key};
}

// kCsv: a seeded share of all rows is held out (before dropping malformed ones, so the split does
// not shift when the featurizer changes).
IndexSplits csv_splits(const MoleculeDataConfig& c, int64_t rows) {
  std::vector<int64_t> order = seeded_permutation(rows, static_cast<uint64_t>(c.split_seed));
  const auto held_out = static_cast<int64_t>(std::llround(c.valid_fraction * static_cast<double>(rows)));
  IndexSplits splits;
  splits["valid"].assign(order.begin(), order.begin() + held_out);
  splits["train"].assign(order.begin() + held_out, order.end());
  for (auto& [name, indices] : splits) std::sort(indices.begin(), indices.end());
  return splits;
}

IndexSplits pcqm_splits(const MoleculeDataConfig& c, int64_t rows, const std::string& source) {
  const std::string file = c.split_path.empty() ? (fs::path(c.path) / "split_dict.pt").string() : c.split_path;
  IndexSplits splits = read_split_file(file);
  for (const char* needed : {"train", "valid"}) {
    if (splits.count(needed) == 0) {
      std::vector<std::string> names;
      for (const auto& entry : splits) names.push_back(entry.first);
      throw InputError(fmt::format("{}: no '{}' split (has: {})", file, needed, fmt::join(names, ", ")));
    }
    for (int64_t index : splits[needed]) {
      if (index < 0 || index >= rows) {
        throw InputError(
            fmt::format("{}: split '{}' has index {}, but {} has {} rows", file, needed, index, source, rows));
      }
    }
  }
  return splits;
}

// The usable rows of one split: parsed, at most max_nodes atoms, a finite target.
std::vector<int64_t> usable_rows(const MoleculeCache& cache, const std::vector<int64_t>& rows, int64_t max_nodes,
                                 const std::string& name) {
  std::vector<int64_t> kept;
  int64_t malformed = 0, too_large = 0, no_target = 0;
  for (int64_t row : rows) {
    if (!cache.parsed(row)) {
      ++malformed;
    } else if (cache.record(row).num_nodes > max_nodes) {
      ++too_large;
    } else if (!std::isfinite(cache.record(row).target)) {
      ++no_target;
    } else {
      kept.push_back(row);
    }
  }
  if (kept.size() < rows.size()) {
    spdlog::warn(
        "molecules, {} split: {} of {} rows left out ({} malformed, {} over max_nodes={}, {} without a target)", name,
        rows.size() - kept.size(), rows.size(), malformed, too_large, max_nodes, no_target);
  }
  if (kept.empty()) throw InputError(fmt::format("{}: the {} split has no usable molecules", cache.path(), name));
  return kept;
}

}  // namespace

MoleculeSplits load_molecule_splits(const MoleculeDataConfig& config) {
  check_settings(config);
  const std::string source = source_file(config);
  const CacheIdentity identity = cache_identity(config, source);
  const auto cache = MoleculeCache::load_or_build(
      identity.path, identity.key, [&] { return read_molecule_csv(source, config.target_column); }, config.threads);
  const IndexSplits splits = config.source == MoleculeSource::kCsv ? csv_splits(config, cache->size())
                                                                   : pcqm_splits(config, cache->size(), source);
  MoleculeSplits out;
  out.train = std::make_shared<MoleculeDataset>(
      cache, usable_rows(*cache, splits.at("train"), config.max_nodes, "train"), "train");
  out.valid = std::make_shared<MoleculeDataset>(
      cache, usable_rows(*cache, splits.at("valid"), config.max_nodes, "valid"), "valid");
  return out;
}

}  // namespace ssa::data
