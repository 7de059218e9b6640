// Writing prepared data: token files in the formats text_corpus reads (little-endian uint16 or
// uint32 ids), a CRC-32 and count per file, and a line reader with Python's universal newlines.
#pragma once
#include <cstdint>
#include <fstream>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "lib/data/data_config.h"

namespace ssa::data {

// One written token file, as the manifest lists it.
struct TokenFileInfo {
  std::string split;  // "train", "valid", "test"
  std::string path;
  int64_t tokens = 0;
  uint32_t crc32 = 0;  // of the file's bytes (zlib crc32)
};

class TokenFileWriter {
 public:
  // format: kUint16 or kUint32 (kBytes writes one byte per id). Throws Error(kIo) naming the path.
  TokenFileWriter(std::string split, std::string path, TokenFormat format, int64_t vocab_size);
  // Appends ids; an id outside [0, vocab_size) or the format's range is an internal error.
  void write(const std::vector<int32_t>& ids);
  TokenFileInfo close();  // flushes; a failed write throws Error(kIo)

 private:
  TokenFileInfo info_;
  TokenFormat format_;
  int64_t vocab_size_;
  std::ofstream out_;
  std::vector<unsigned char> buffer_;
};

// The format that holds ids below vocab_size most compactly: uint16 up to 65,536, else uint32.
TokenFormat smallest_format(int64_t vocab_size);
std::string format_name(TokenFormat format);
std::string format_extension(TokenFormat format);  // "u16", "u32", "bin"

// Reads a text file line by line as Python's text mode does (\n, \r\n and \r end a line; the
// terminator is not part of the line). `label` names the file in errors: missing, a directory,
// empty or unreadable files are one InputError.
void for_each_line(const std::string& label, const std::string& path, const std::function<void(std::string_view)>& fn);

}  // namespace ssa::data
