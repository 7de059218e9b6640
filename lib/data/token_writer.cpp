// Token file writing and universal-newline line reading (see token_writer.h).
#include "lib/data/token_writer.h"

#include <zlib.h>

#include "lib/core/error.h"
#include "lib/core/input_file.h"

namespace ssa::data {
namespace {

constexpr size_t kBufferBytes = 1 << 20;

}  // namespace

TokenFormat smallest_format(int64_t vocab_size) {
  return vocab_size <= 65536 ? TokenFormat::kUint16 : TokenFormat::kUint32;
}

std::string format_name(TokenFormat f) {
  return f == TokenFormat::kUint32 ? "uint32" : f == TokenFormat::kUint16 ? "uint16" : "bytes";
}

std::string format_extension(TokenFormat f) {
  return f == TokenFormat::kUint32 ? "u32" : f == TokenFormat::kUint16 ? "u16" : "bin";
}

TokenFileWriter::TokenFileWriter(std::string split, std::string path, TokenFormat format, int64_t vocab_size)
    : format_(format), vocab_size_(vocab_size), out_(path, std::ios::binary | std::ios::trunc) {
  info_.split = std::move(split);
  info_.path = std::move(path);
  info_.crc32 = static_cast<uint32_t>(::crc32(0L, Z_NULL, 0));
  if (!out_) throw Error(ExitCode::kIo, info_.path + ": cannot create");
  SSA_CHECK(vocab_size <= (int64_t{1} << (8 * bytes_per_token(format))), ExitCode::kInternal,
            "{}: vocabulary of {} does not fit {}", info_.path, vocab_size, format_name(format));
  buffer_.reserve(kBufferBytes);
}

void TokenFileWriter::write(const std::vector<int32_t>& ids) {
  const int64_t w = bytes_per_token(format_);
  for (const int32_t id : ids) {
    SSA_CHECK(id >= 0 && id < vocab_size_, ExitCode::kInternal, "{}: token id {} outside the vocabulary", info_.path, id);
    auto v = static_cast<uint32_t>(id);
    for (int64_t b = 0; b < w; ++b, v >>= 8) buffer_.push_back(static_cast<unsigned char>(v & 0xff));
    if (buffer_.size() >= kBufferBytes) {
      info_.crc32 = static_cast<uint32_t>(::crc32(info_.crc32, buffer_.data(), static_cast<uInt>(buffer_.size())));
      out_.write(reinterpret_cast<const char*>(buffer_.data()), static_cast<std::streamsize>(buffer_.size()));
      buffer_.clear();
    }
  }
  info_.tokens += static_cast<int64_t>(ids.size());
}

TokenFileInfo TokenFileWriter::close() {
  info_.crc32 = static_cast<uint32_t>(::crc32(info_.crc32, buffer_.data(), static_cast<uInt>(buffer_.size())));
  out_.write(reinterpret_cast<const char*>(buffer_.data()), static_cast<std::streamsize>(buffer_.size()));
  buffer_.clear();
  out_.close();
  if (!out_) throw Error(ExitCode::kIo, info_.path + ": cannot write (disk full?)");
  return info_;
}

void for_each_line(const std::string& label, const std::string& path, const std::function<void(std::string_view)>& fn) {
  check_input_file(path, label);
  std::ifstream in(path, std::ios::binary);
  std::vector<char> chunk(kBufferBytes);
  std::string line;
  bool after_cr = false;  // a \n right after \r belongs to the same terminator
  while (in) {
    in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    const auto got = static_cast<size_t>(in.gcount());
    for (size_t i = 0; i < got; ++i) {
      const char c = chunk[i];
      if (c == '\n' && after_cr) {
        after_cr = false;
        continue;
      }
      after_cr = c == '\r';
      if (c == '\n' || c == '\r') {
        fn(line);
        line.clear();
      } else {
        line += c;
      }
    }
  }
  if (in.bad()) throw InputError(label + ": " + path + ": read failed");
  if (!line.empty()) fn(line);
}

}  // namespace ssa::data
