// Table-driven reflected CRCs (see crc.h).
#include "lib/core/crc.h"

#include <zlib.h>

#include <array>

namespace ssa {
namespace {

// The reflected CRC with `polynomial` (bit-reversed form), initial value and final XOR all ones.
template <uint32_t polynomial>
uint32_t reflected_crc(const void* data, size_t size) {
  static const auto table = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? polynomial ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  uint32_t c = 0xFFFFFFFFu;
  const auto* p = static_cast<const unsigned char*>(data);
  for (size_t i = 0; i < size; ++i) c = table[(c ^ p[i]) & 0xFF] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

}  // namespace

uint32_t crc32(const void* data, size_t size) { return crc32_extend(0, data, size); }

uint32_t crc32_extend(uint32_t crc, const void* data, size_t size) {
  if (size == 0) return crc;  // zlib answers a null buffer (an empty tensor's) with its initial value
  return static_cast<uint32_t>(::crc32_z(crc, static_cast<const Bytef*>(data), size));
}
uint32_t crc32c(const void* data, size_t size) { return reflected_crc<0x82F63B78u>(data, size); }

}  // namespace ssa
