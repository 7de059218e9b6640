// The molecule cache file layout, shared by its writer and reader (internal to lib/data). All
// integers and floats are little-endian, as the host writes them (x86-64, aarch64).
//
//   header   magic "SSAMOLC\0" | u32 version | u32 key length | key bytes
//   records  per parsed row: f32 target | u16 N | u16 E | u8 node_feat[N*9] | u8 bonds[E*5]
//            | f32 svd[N*2r]; a malformed row has no bytes
//   table    u64 n_lines | u64 malformed_lines[n_lines] | u64 offsets[rows + 1], relative to
//            the first record byte
//   trailer  u64 table position | u64 rows | u64 malformed rows | u32 "MEND" | u32 crc32 of
//            every byte before it
#pragma once
#include <cstdint>
#include <cstring>

#include "lib/data/graph_encodings.h"
#include "lib/data/molecule_cache.h"
#include "lib/data/molecule_features.h"

namespace ssa::data::cache_format {

constexpr char kMagic[8] = {'S', 'S', 'A', 'M', 'O', 'L', 'C', '\0'};
constexpr uint32_t kVersion = 1;
constexpr uint32_t kEndMagic = 0x444E454D;  // "MEND"
constexpr int64_t kHeaderFixedBytes = 16;   // magic, version, key length
constexpr int64_t kTrailerBytes = 32;
constexpr int64_t kRecordHeaderBytes = 8;  // target, N, E
constexpr int64_t kMaxStoredLines = 8;     // malformed line numbers kept for the warning

inline int64_t record_bytes(int64_t num_nodes, int64_t num_bonds) {
  return kRecordHeaderBytes + num_nodes * kAtomFeatures + num_bonds * kStoredBondWidth +
         num_nodes * 2 * kSvdRank * static_cast<int64_t>(sizeof(float));
}

template <class T>
T read_at(const uint8_t* p) {
  T value;
  std::memcpy(&value, p, sizeof(T));
  return value;
}

}  // namespace ssa::data::cache_format
