// Exclusive creation, unbuffered writes and fsync through POSIX calls (see exclusive_file.h).
#include "lib/core/exclusive_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "lib/core/error.h"

namespace ssa {
namespace {

Error io_error(const std::string& what, const std::string& path) {
  const int err = errno;
  std::string line = "cannot " + what + " " + path + ": " + std::strerror(err);
  if (err == EEXIST || err == ELOOP) line += " (a file or link appeared there; another writer, or planted?)";
  return Error(ExitCode::kIo, line);
}

}  // namespace

ExclusiveFile::ExclusiveFile(std::string path) : path_(std::move(path)) {
  fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
  if (fd_ < 0) throw io_error("create", path_);
}

ExclusiveFile::~ExclusiveFile() {
  if (fd_ >= 0) ::close(fd_);
}

void ExclusiveFile::write(const void* data, size_t bytes) {
  const char* p = static_cast<const char*>(data);
  while (bytes > 0) {
    const ssize_t n = ::write(fd_, p, bytes);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw io_error("write", path_);
    p += n;
    bytes -= static_cast<size_t>(n);
  }
}

void ExclusiveFile::sync() {
  if (::fsync(fd_) != 0) throw io_error("sync", path_);
}

void ExclusiveFile::sync_and_close() {
  sync();
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) throw io_error("close", path_);
}

void ExclusiveFile::commit_as(const std::string& path) {
  sync();
  commit_by_rename(path_, path);
  path_ = path;
}

void make_directory_exclusive(const std::string& path) {
  if (::mkdir(path.c_str(), 0777) != 0) throw io_error("create directory", path);
}

void sync_directory(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) throw io_error("open directory", path);
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  // Some file systems (FUSE, some network mounts) cannot sync a directory and say so with
  // EINVAL; there is nothing more to do there, as in LevelDB and RocksDB.
  if (rc != 0 && err != EINVAL && err != ENOTSUP) {
    errno = err;
    throw io_error("sync directory", path);
  }
}

void commit_by_rename(const std::string& temporary, const std::string& path) {
  if (std::rename(temporary.c_str(), path.c_str()) != 0) {
    const Error error = io_error("rename a finished file onto", path);
    ::unlink(temporary.c_str());
    throw error;
  }
  const std::string parent = std::filesystem::path(path).parent_path().string();
  sync_directory(parent.empty() ? "." : parent);
}

std::string fresh_temporary(const std::string& path) {
  const std::string tmp = path + ".tmp";
  std::error_code ignored;
  std::filesystem::remove(tmp, ignored);  // a stale temporary, or a link: the link goes, not its target
  return tmp;
}

void replace_file_atomically(const std::string& path, std::string_view text) {
  const std::string tmp = fresh_temporary(path);
  ExclusiveFile file(tmp);
  file.write(text);
  file.sync_and_close();
  commit_by_rename(tmp, path);
}

}  // namespace ssa
