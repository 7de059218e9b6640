// Shared input-file checks and whole-file reads (see input_file.h).
#include "lib/core/input_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <stdexcept>
#include <vector>

#include "lib/core/error.h"

namespace ssa {
namespace {

InputError problem(const std::string& label, const std::string& path, const std::string& what) {
  return InputError((label.empty() ? "" : label + ": ") + path + ": " + what);
}

// Reads until end of file: a file may grow or shrink between fstat and read.
std::string read_all(int fd, int64_t size_hint, const std::string& label, const std::string& path) {
  std::string bytes;
  bytes.reserve(static_cast<size_t>(size_hint));
  std::vector<char> chunk(1 << 20);
  for (;;) {
    const ssize_t n = ::read(fd, chunk.data(), chunk.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw problem(label, path, "read failed after " + std::to_string(bytes.size()) + " bytes");
    if (n == 0) return bytes;
    bytes.append(chunk.data(), static_cast<size_t>(n));
  }
}

// Every member of a gzip file (zlib's inflate with a gzip header). Unlike gzread, which takes a
// file that ends inside a member's trailer for a short one, input that ends before a member's
// end is an error, as is anything but another member after one.
std::string gunzip(const std::string& compressed) {
  z_stream stream{};
  if (inflateInit2(&stream, 16 + MAX_WBITS) != Z_OK) throw std::runtime_error("zlib cannot start");
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
  stream.avail_in = static_cast<uInt>(compressed.size());  // files over 4 GiB are not gzip inputs here
  std::string out;
  std::vector<char> chunk(1 << 20);
  int status = Z_OK;
  while (true) {
    stream.next_out = reinterpret_cast<Bytef*>(chunk.data());
    stream.avail_out = static_cast<uInt>(chunk.size());
    status = inflate(&stream, Z_NO_FLUSH);
    out.append(chunk.data(), chunk.size() - stream.avail_out);
    if (status == Z_STREAM_END) {
      if (stream.avail_in == 0) break;
      if (inflateReset(&stream) != Z_OK) break;  // the next member
      continue;
    }
    if (status == Z_OK) continue;
    if (status == Z_BUF_ERROR && stream.avail_in == 0) status = Z_DATA_ERROR;  // ended inside a member
    break;
  }
  const std::string reason = status == Z_STREAM_END ? "" : stream.msg ? stream.msg : "unexpected end of file";
  inflateEnd(&stream);
  if (status != Z_STREAM_END) throw std::runtime_error(reason);
  return out;
}

class Descriptor {
 public:
  explicit Descriptor(int fd) : fd_(fd) {}
  ~Descriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  Descriptor(const Descriptor&) = delete;
  Descriptor& operator=(const Descriptor&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

}  // namespace

int64_t check_input_file(const std::string& path, const std::string& label, EmptyFile empty) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) throw problem(label, path, "no such file");
  if (S_ISDIR(st.st_mode)) throw problem(label, path, "is a directory, expected a file");
  if (::access(path.c_str(), R_OK) != 0) throw problem(label, path, "cannot open (permission denied?)");
  if (st.st_size == 0 && empty == EmptyFile::kRefused) throw problem(label, path, "file is empty");
  return static_cast<int64_t>(st.st_size);
}

std::string read_input_file(const std::string& path, const std::string& label, EmptyFile empty) {
  const int64_t size = check_input_file(path, label, EmptyFile::kAllowed);
  const Descriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) throw problem(label, path, "cannot open (permission denied?)");
  std::string bytes = read_all(fd.get(), size, label, path);
  if (bytes.empty() && empty == EmptyFile::kRefused) throw problem(label, path, "file is empty");
  return bytes;
}

std::string read_maybe_gzipped(const std::string& path, const std::string& label) {
  const std::string file = read_input_file(path, label);
  const bool gzip = file.size() >= 2 && static_cast<uint8_t>(file[0]) == 0x1f && static_cast<uint8_t>(file[1]) == 0x8b;
  if (!gzip) return file;
  std::string bytes;
  try {
    bytes = gunzip(file);
  } catch (const std::runtime_error& e) {
    throw problem(label, path, std::string("cannot decompress (") + e.what() + "); truncated or corrupt gzip file?");
  }
  if (bytes.empty()) throw problem(label, path, "file is empty");
  return bytes;
}

}  // namespace ssa
