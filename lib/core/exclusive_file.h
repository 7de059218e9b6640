// Output files and directories that this process creates itself (reliability goals R6, X5).
//
// Every file the trainer commits (checkpoint files, the resolved config, the rewritten
// metrics.jsonl, TensorBoard events) is created with O_CREAT | O_EXCL | O_NOFOLLOW: a file or link
// that appears at the path, even between our removal of a stale temporary and its creation, makes
// the write fail with an error naming the path instead of being written through. Files get mode
// 0666 and directories 0777, less the umask. Committed files are fsynced before they are renamed.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>

namespace ssa {

// One file, created new; unbuffered writes. Errors are ssa::Error(kIo) naming the path.
class ExclusiveFile {
 public:
  explicit ExclusiveFile(std::string path);
  ~ExclusiveFile();
  ExclusiveFile(const ExclusiveFile&) = delete;
  ExclusiveFile& operator=(const ExclusiveFile&) = delete;

  void write(const void* data, size_t bytes);
  void write(std::string_view text) { write(text.data(), text.size()); }
  void sync();            // fsync: the bytes written so far are on disk
  void sync_and_close();  // before a rename commits the file
  // Syncs, renames the file to `path` (commit_by_rename) and keeps it open: later writes go to
  // the committed file through this descriptor, whatever is put at `path` afterwards.
  void commit_as(const std::string& path);
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  int fd_ = -1;
};

// mkdir(path): fails with ssa::Error(kIo) if anything, a link included, is already there.
void make_directory_exclusive(const std::string& path);

// fsync of a directory, so that the entries created or renamed in it are on disk (a file system
// that cannot sync directories, EINVAL or ENOTSUP, is accepted as is).
void sync_directory(const std::string& path);

// Renames a finished (synced) `temporary` over `path` and syncs the directory, so that the new
// file survives a crash; on failure removes `temporary` and throws ssa::Error(kIo).
void commit_by_rename(const std::string& temporary, const std::string& path);

// `path`.tmp, with a stale temporary (or a link planted there) removed: where a replacement of
// `path` is created.
std::string fresh_temporary(const std::string& path);

// Writes `text` to `path` through `path`.tmp: a stale temporary (or a link planted there) is
// removed, the temporary is created exclusively, synced and renamed over `path`, and the directory
// is synced. Readers see the old file or the new one, never a part.
void replace_file_atomically(const std::string& path, std::string_view text);

}  // namespace ssa
