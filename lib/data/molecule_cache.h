// The featurized molecules of one source file, computed once (RDKit + SVD encodings) and kept in a
// compact binary file that training memory-maps, so no run waits on RDKit twice. The file is keyed
// by the source's size and mtime and the featurizer settings; a stale, truncated or corrupt file
// is rebuilt (the layout is in molecule_cache_format.h). One slot per source row, so split
// indices address rows; rows that did not parse keep an empty slot.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "lib/data/graph_encodings.h"
#include "lib/data/molecule_csv.h"

namespace ssa::data {

constexpr int64_t kMaxCachedNodes = 255;  // atom indices are stored as uint8
constexpr int64_t kStoredBondWidth = 5;   // atom i, atom j, then the 3 OGB bond features

// One molecule as stored: views into the mapped file, valid while its MoleculeCache lives.
struct MoleculeRecord {
  float target = 0;
  int64_t num_nodes = 0;               // N
  int64_t num_bonds = 0;               // E, each bond once
  const uint8_t* node_feat = nullptr;  // (N, 9) OGB atom feature indices
  const uint8_t* bonds = nullptr;      // (E, kStoredBondWidth): atom i, atom j, type, stereo, conjugated
  const uint8_t* svd = nullptr;        // (N, 2r) float32, maybe unaligned: read through svd_row()

  GraphEdges edges() const;                      // the E bonds as (i, j)
  void svd_row(int64_t node, float* out) const;  // copies the node's 2r encodings to out
};

enum class CacheOrigin {
  kLoaded,          // a valid cache file was found
  kBuilt,           // there was none
  kRebuiltStale,    // the source or the featurizer changed
  kRebuiltCorrupt,  // the file was truncated or damaged (logged as a warning)
};

class MoleculeCache {
 public:
  // Maps `path` if it holds `key`; otherwise featurizes read_rows() on `threads` threads, writes
  // the file (temporary name, fsync, rename) and maps that. Logs the parsed / malformed counts.
  // Processes that find it missing at the same time featurize once (a flock on `path`.lock).
  static std::shared_ptr<const MoleculeCache> load_or_build(const std::string& path, const std::string& key,
                                                            const std::function<std::vector<MoleculeRow>()>& read_rows,
                                                            int64_t threads);

  MoleculeCache(const MoleculeCache&) = delete;
  MoleculeCache& operator=(const MoleculeCache&) = delete;
  ~MoleculeCache();

  int64_t size() const { return static_cast<int64_t>(offsets_.size()) - 1; }  // rows, malformed included
  bool parsed(int64_t row) const { return offsets_[row + 1] > offsets_[row]; }
  MoleculeRecord record(int64_t row) const;  // parsed rows only
  int64_t malformed_count() const { return malformed_count_; }
  const std::vector<int64_t>& malformed_lines() const { return malformed_lines_; }  // the first few
  CacheOrigin origin() const { return origin_; }
  const std::string& path() const { return path_; }

 private:
  MoleculeCache() = default;
  // Maps `path` and checks it holds `key`; throws an internal CacheUnusable saying why not.
  static std::shared_ptr<MoleculeCache> map_and_check(const std::string& path, const std::string& key,
                                                      CacheOrigin origin);
  std::string path_;
  const uint8_t* data_ = nullptr;  // the whole mapped file
  size_t size_ = 0;
  const uint8_t* records_ = nullptr;
  std::vector<uint64_t> offsets_;  // [rows + 1] record bounds, relative to records_
  int64_t malformed_count_ = 0;
  std::vector<int64_t> malformed_lines_;
  CacheOrigin origin_ = CacheOrigin::kLoaded;

  friend class CacheReader;
};

// Featurizes `rows` on `threads` threads (0 = every core) and writes the cache file atomically.
// Throws ssa::Error (exit code kIo) when the file cannot be written.
void write_molecule_cache(const std::string& path, const std::string& key, const std::vector<MoleculeRow>& rows,
                          int64_t threads);

}  // namespace ssa::data
