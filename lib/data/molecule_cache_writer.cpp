// Building the molecule cache (see molecule_cache.h): featurize rows in blocks on worker threads,
// stream the records to a temporary file with a running CRC, then fsync and rename it into place,
// so a crash or a concurrent reader never sees a half-written cache.
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <filesystem>
#include <thread>

#include <spdlog/spdlog.h>

#include "lib/core/error.h"
#include "lib/core/cpu_threads.h"
#include "lib/core/exclusive_file.h"
#include "lib/core/host_name.h"
#include "lib/data/molecule_cache.h"
#include "lib/data/molecule_cache_format.h"

namespace ssa::data {
namespace {

using namespace cache_format;

// The record bytes of one row; empty when it does not parse, has no atoms or is too large.
std::vector<uint8_t> encode_row(const MoleculeRow& row) {
  const auto graph = smiles_to_graph(row.smiles);
  if (!graph || graph->num_nodes == 0 || graph->num_nodes > kMaxCachedNodes) return {};
  const int64_t n = graph->num_nodes, e = graph->num_edges() / 2, m = graph->num_edges();
  GraphEdges edges;
  for (int64_t b = 0; b < e; ++b) edges.emplace_back(graph->edge_index[2 * b], graph->edge_index[m + 2 * b]);
  const std::vector<float> svd = svd_encodings(n, edges);  // (N, 2r)
  std::vector<uint8_t> out(static_cast<size_t>(record_bytes(n, e)));
  uint8_t* p = out.data();
  const uint16_t n16 = static_cast<uint16_t>(n), e16 = static_cast<uint16_t>(e);
  std::memcpy(p, &row.target, 4);
  std::memcpy(p + 4, &n16, 2);
  std::memcpy(p + 6, &e16, 2);
  p += kRecordHeaderBytes;
  for (int64_t v : graph->node_feat) *p++ = static_cast<uint8_t>(v);
  for (int64_t b = 0; b < e; ++b) {
    *p++ = static_cast<uint8_t>(edges[static_cast<size_t>(b)].first);
    *p++ = static_cast<uint8_t>(edges[static_cast<size_t>(b)].second);
    for (int64_t f = 0; f < kBondFeatures; ++f)
      *p++ = static_cast<uint8_t>(graph->edge_feat[2 * b * kBondFeatures + f]);
  }
  std::memcpy(p, svd.data(), svd.size() * sizeof(float));
  return out;
}

// Encodes rows [begin, end) into out[0, end - begin) on `threads` threads.
void encode_block(const std::vector<MoleculeRow>& rows, size_t begin, size_t end, int64_t threads,
                  std::vector<std::vector<uint8_t>>& out) {
  out.assign(end - begin, {});
  std::atomic<size_t> next{begin};
  auto work = [&] {
    for (size_t i; (i = next.fetch_add(1)) < end;) out[i - begin] = encode_row(rows[i]);
  };
  std::vector<std::thread> pool;
  for (int64_t t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
}

// The cache file being written (created exclusively), with a running CRC-32; removed unless finished.
class CacheFileWriter {
 public:
  explicit CacheFileWriter(const std::string& path) : file_(path) {}
  ~CacheFileWriter() {
    if (!finished_) ::unlink(file_.path().c_str());
  }
  void write(const void* data, size_t bytes) {
    if (bytes == 0) return;  // crc32_z(crc, nullptr, 0) would restart the checksum
    crc_ = crc32_z(crc_, static_cast<const Bytef*>(data), bytes);
    file_.write(data, bytes);
    position_ += bytes;
  }
  template <class T>
  void put(const T& value) {
    write(&value, sizeof(T));
  }
  uint64_t position() const { return position_; }
  uint32_t crc() const { return static_cast<uint32_t>(crc_); }
  void finish() {  // durable before the rename makes it visible
    file_.sync_and_close();
    finished_ = true;
  }

 private:
  ExclusiveFile file_;
  bool finished_ = false;
  uLong crc_ = crc32_z(0L, Z_NULL, 0);
  uint64_t position_ = 0;
};

void write_header(CacheFileWriter& out, const std::string& key) {
  out.write(kMagic, sizeof(kMagic));
  out.put(kVersion);
  out.put(static_cast<uint32_t>(key.size()));
  out.write(key.data(), key.size());
}

struct RecordStats {
  std::vector<uint64_t> offsets{0};  // [rows + 1]
  std::vector<uint64_t> malformed_lines;
  uint64_t malformed = 0;
};

void write_records(CacheFileWriter& out, const std::vector<MoleculeRow>& rows, int64_t threads, RecordStats& stats) {
  const size_t block = static_cast<size_t>(threads) * 2048;
  std::vector<std::vector<uint8_t>> encoded;
  size_t next_report = rows.size() / 10;
  for (size_t begin = 0; begin < rows.size(); begin += block) {
    const size_t end = std::min(rows.size(), begin + block);
    encode_block(rows, begin, end, threads, encoded);
    for (size_t i = begin; i < end; ++i) {
      const auto& bytes = encoded[i - begin];
      if (bytes.empty()) {
        ++stats.malformed;
        if (stats.malformed_lines.size() < kMaxStoredLines)
          stats.malformed_lines.push_back(static_cast<uint64_t>(rows[i].line));
      }
      out.write(bytes.data(), bytes.size());
      stats.offsets.push_back(stats.offsets.back() + bytes.size());
    }
    if (rows.size() >= 100000 && end >= next_report) {
      spdlog::info("molecule cache: featurized {} of {} molecules", end, rows.size());
      next_report += rows.size() / 10;
    }
  }
}

void write_table_and_trailer(CacheFileWriter& out, const RecordStats& stats, uint64_t rows) {
  const uint64_t table_position = out.position();
  out.put(static_cast<uint64_t>(stats.malformed_lines.size()));
  out.write(stats.malformed_lines.data(), stats.malformed_lines.size() * sizeof(uint64_t));
  out.write(stats.offsets.data(), stats.offsets.size() * sizeof(uint64_t));
  out.put(table_position);
  out.put(rows);
  out.put(stats.malformed);
  out.put(kEndMagic);
  out.put(out.crc());
}

}  // namespace

void write_molecule_cache(const std::string& path, const std::string& key, const std::vector<MoleculeRow>& rows,
                          int64_t threads) {
  if (threads <= 0) threads = usable_cores();
  const std::filesystem::path target(path);
  std::error_code ec;
  if (target.has_parent_path()) std::filesystem::create_directories(target.parent_path(), ec);
  // Unique per process, even for ranks on several hosts sharing one file system.
  const std::string temporary = path + ".tmp." + host_name() + "." + std::to_string(::getpid());
  std::filesystem::remove(temporary, ec);  // left by a dead process that had our pid
  {
    CacheFileWriter out(temporary);
    RecordStats stats;
    write_header(out, key);
    write_records(out, rows, threads, stats);
    write_table_and_trailer(out, stats, rows.size());
    out.finish();
  }
  commit_by_rename(temporary, path);
}

}  // namespace ssa::data
