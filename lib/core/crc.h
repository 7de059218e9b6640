// Checksums of byte ranges: CRC-32 (IEEE 802.3, as zlib; our safetensors metadata) and CRC-32C
// (Castagnoli; TFRecord framing of TensorBoard event files). Both reflected and table-driven.
#pragma once
#include <cstddef>
#include <cstdint>

namespace ssa {

uint32_t crc32(const void* data, size_t size);
uint32_t crc32c(const void* data, size_t size);

}  // namespace ssa
