// Checksums of byte ranges: CRC-32 (IEEE 802.3: zlib's, which is fast; our safetensors metadata
// and checkpoint manifests) and CRC-32C (Castagnoli, table-driven; TensorBoard's TFRecord framing).
#pragma once
#include <cstddef>
#include <cstdint>

namespace ssa {

uint32_t crc32(const void* data, size_t size);
// The CRC-32 of the bytes covered by `crc` followed by these: crc32_extend(crc32(a), b) = crc32(ab).
uint32_t crc32_extend(uint32_t crc, const void* data, size_t size);
uint32_t crc32c(const void* data, size_t size);

}  // namespace ssa
