// Reading the molecule cache (see molecule_cache.h): map the file, check magic, version, key,
// CRC and every record's bounds; anything wrong sends load_or_build back to featurizing.
#include "lib/data/molecule_cache.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "lib/core/error.h"
#include "lib/data/molecule_cache_format.h"

namespace ssa::data {

using namespace cache_format;

namespace {

// Why a cache file cannot be used: kStale rebuilds quietly, kCorrupt with a warning.
struct CacheUnusable {
  CacheOrigin rebuild_as;
  std::string reason;
};

[[noreturn]] void corrupt(const std::string& reason) { throw CacheUnusable{CacheOrigin::kRebuiltCorrupt, reason}; }
[[noreturn]] void stale(const std::string& reason) { throw CacheUnusable{CacheOrigin::kRebuiltStale, reason}; }

uint32_t crc_of(const uint8_t* data, size_t bytes) {
  return static_cast<uint32_t>(crc32_z(crc32_z(0L, Z_NULL, 0), data, bytes));
}

// An exclusive flock on `<cache>.lock`, held while the object lives, so the processes that need
// the same cache (the ranks of a job, concurrent jobs) featurize it once: the first builds, the
// others wait and then map its file. Without a lock file (read-only directory) each process goes
// ahead alone; the temporary-name-and-rename write keeps that correct, only slower.
class CacheBuildLock {
 public:
  explicit CacheBuildLock(const std::string& cache_path) {
    const std::string path = cache_path + ".lock";
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) {
      spdlog::warn("cannot create {} ({}); featurizing without coordination", path, std::strerror(errno));
      return;
    }
    if (::flock(fd_, LOCK_EX | LOCK_NB) == 0) return;
    spdlog::info("another process is preparing {}; waiting for it", cache_path);
    while (::flock(fd_, LOCK_EX) != 0 && errno == EINTR) {}
  }
  ~CacheBuildLock() {
    if (fd_ >= 0) ::close(fd_);  // releases the lock
  }
  CacheBuildLock(const CacheBuildLock&) = delete;
  CacheBuildLock& operator=(const CacheBuildLock&) = delete;

 private:
  int fd_ = -1;
};

std::string counts_line(const MoleculeCache& cache) {
  std::string line = fmt::format("{}: {} molecules parsed, {} malformed", cache.path(),
                                 cache.size() - cache.malformed_count(), cache.malformed_count());
  if (cache.malformed_count() == 0) return line;
  std::vector<std::string> lines;
  for (int64_t l : cache.malformed_lines()) lines.push_back(std::to_string(l));
  return line + fmt::format(" (unparsable, no atoms or over {} atoms; source {} {}{})", kMaxCachedNodes,
                            lines.size() == 1 ? "line" : "lines", fmt::join(lines, ", "),
                            cache.malformed_count() > static_cast<int64_t>(lines.size()) ? ", ..." : "");
}

}  // namespace

// Validates a mapped file and fills the cache's views into it.
class CacheReader {
 public:
  CacheReader(MoleculeCache& cache, const std::string& key) : c_(cache), key_(key) {}

  void read() {
    if (c_.size_ < static_cast<size_t>(kHeaderFixedBytes + kTrailerBytes)) corrupt("shorter than header and trailer");
    check_header();
    const uint8_t* trailer = c_.data_ + c_.size_ - kTrailerBytes;
    if (read_at<uint32_t>(trailer + 24) != kEndMagic) corrupt("no end marker (truncated?)");
    if (read_at<uint32_t>(trailer + 28) != crc_of(c_.data_, c_.size_ - 4)) corrupt("checksum mismatch");
    read_table(read_at<uint64_t>(trailer), read_at<uint64_t>(trailer + 8), trailer);
    c_.malformed_count_ = static_cast<int64_t>(read_at<uint64_t>(trailer + 16));
    check_records();
  }

 private:
  void check_header() {
    if (std::memcmp(c_.data_, kMagic, sizeof(kMagic)) != 0) corrupt("not a molecule cache (bad magic)");
    const auto version = read_at<uint32_t>(c_.data_ + 8);
    if (version != kVersion) stale(fmt::format("format version {}, expected {}", version, kVersion));
    const auto key_length = read_at<uint32_t>(c_.data_ + 12);
    if (static_cast<size_t>(kHeaderFixedBytes + key_length + kTrailerBytes) > c_.size_)
      corrupt("key runs past the end");
    const std::string key(reinterpret_cast<const char*>(c_.data_ + kHeaderFixedBytes), key_length);
    if (key != key_) stale("made from another source file or settings");
    c_.records_ = c_.data_ + kHeaderFixedBytes + key_length;
  }

  void read_table(uint64_t table_position, uint64_t rows, const uint8_t* trailer) {
    const uint8_t* table = c_.data_ + table_position;
    if (table < c_.records_ || table + 8 > trailer) corrupt("table position out of range");
    const uint64_t lines = read_at<uint64_t>(table);
    if (lines > kMaxStoredLines) corrupt("bad table");
    const uint64_t expected = 8 * (1 + lines + rows + 1);
    if (static_cast<uint64_t>(trailer - table) != expected) corrupt("table size does not match the row count");
    for (uint64_t i = 0; i < lines; ++i)
      c_.malformed_lines_.push_back(static_cast<int64_t>(read_at<uint64_t>(table + 8 * (1 + i))));
    c_.offsets_.resize(rows + 1);
    std::memcpy(c_.offsets_.data(), table + 8 * (1 + lines), (rows + 1) * 8);
    if (c_.offsets_.front() != 0 || c_.records_ + c_.offsets_.back() != table)
      corrupt("record offsets do not span the records");
  }

  void check_records() {
    int64_t malformed = 0;
    for (int64_t row = 0; row < c_.size(); ++row) {
      const uint64_t begin = c_.offsets_[row], end = c_.offsets_[row + 1];
      if (end < begin) corrupt(fmt::format("record {} has a negative length", row));
      if (end == begin) {
        ++malformed;
        continue;
      }
      if (end - begin < static_cast<uint64_t>(kRecordHeaderBytes)) corrupt(fmt::format("record {} is cut short", row));
      const int64_t n = read_at<uint16_t>(c_.records_ + begin + 4), e = read_at<uint16_t>(c_.records_ + begin + 6);
      if (n == 0 || n > kMaxCachedNodes || static_cast<uint64_t>(record_bytes(n, e)) != end - begin) {
        corrupt(fmt::format("record {} has inconsistent sizes", row));
      }
    }
    if (malformed != c_.malformed_count_) corrupt("malformed count does not match the records");
  }

  MoleculeCache& c_;
  const std::string& key_;
};

GraphEdges MoleculeRecord::edges() const {
  GraphEdges out;
  out.reserve(static_cast<size_t>(num_bonds));
  for (int64_t b = 0; b < num_bonds; ++b)
    out.emplace_back(bonds[b * kStoredBondWidth], bonds[b * kStoredBondWidth + 1]);
  return out;
}

void MoleculeRecord::svd_row(int64_t node, float* out) const {
  std::memcpy(out, svd + node * 2 * kSvdRank * sizeof(float), 2 * kSvdRank * sizeof(float));
}

MoleculeRecord MoleculeCache::record(int64_t row) const {
  const uint8_t* p = records_ + offsets_[row];
  MoleculeRecord r;
  r.target = read_at<float>(p);
  r.num_nodes = read_at<uint16_t>(p + 4);
  r.num_bonds = read_at<uint16_t>(p + 6);
  r.node_feat = p + kRecordHeaderBytes;
  r.bonds = r.node_feat + r.num_nodes * kAtomFeatures;
  r.svd = r.bonds + r.num_bonds * kStoredBondWidth;
  return r;
}

MoleculeCache::~MoleculeCache() {
  if (data_ != nullptr) ::munmap(const_cast<uint8_t*>(data_), size_);
}

std::shared_ptr<MoleculeCache> MoleculeCache::map_and_check(const std::string& path, const std::string& key,
                                                            CacheOrigin origin) {
  std::shared_ptr<MoleculeCache> cache(new MoleculeCache());
  cache->path_ = path;
  cache->origin_ = origin;
  const int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) throw CacheUnusable{CacheOrigin::kBuilt, "no cache file"};
  struct stat st {};
  const bool sized = ::fstat(fd, &st) == 0 && st.st_size > 0;
  void* data = sized ? ::mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ, MAP_SHARED, fd, 0) : MAP_FAILED;
  ::close(fd);
  if (data == MAP_FAILED) corrupt(sized ? "cannot map the file" : "empty file");
  cache->data_ = static_cast<const uint8_t*>(data);
  cache->size_ = static_cast<size_t>(st.st_size);
  CacheReader(*cache, key).read();
  return cache;
}

std::shared_ptr<const MoleculeCache> MoleculeCache::load_or_build(const std::string& path, const std::string& key,
                                                                  const std::function<std::vector<MoleculeRow>()>& read_rows,
                                                                  int64_t threads) {
  CacheUnusable why{CacheOrigin::kBuilt, ""};
  const auto map_if_usable = [&]() -> std::shared_ptr<const MoleculeCache> {
    try {
      auto cache = map_and_check(path, key, CacheOrigin::kLoaded);
      spdlog::info("{}", counts_line(*cache));
      return cache;
    } catch (const CacheUnusable& e) {
      why = e;
      return nullptr;
    }
  };
  if (auto cache = map_if_usable()) return cache;  // the common case: no lock taken
  const CacheBuildLock lock(path);                 // one process featurizes, the others wait here
  if (auto cache = map_if_usable()) return cache;  // built by the process we waited for
  if (why.rebuild_as == CacheOrigin::kRebuiltCorrupt) {
    spdlog::warn("molecule cache {} is unusable ({}); rebuilding it", path, why.reason);
  } else if (why.rebuild_as == CacheOrigin::kRebuiltStale) {
    spdlog::info("molecule cache {} is out of date ({}); rebuilding it", path, why.reason);
  }
  spdlog::info("featurizing molecules into {}", path);
  write_molecule_cache(path, key, read_rows(), threads);
  std::shared_ptr<const MoleculeCache> cache;
  try {
    cache = map_and_check(path, key, why.rebuild_as);
  } catch (const CacheUnusable& again) {
    throw Error(ExitCode::kIo, "molecule cache " + path + ": unreadable right after writing it (" + again.reason + ")");
  }
  const std::string counts = counts_line(*cache);
  if (cache->malformed_count() > 0) {
    spdlog::warn("{}", counts);
  } else {
    spdlog::info("{}", counts);
  }
  return cache;
}

}  // namespace ssa::data
