// ExclusiveFile, make_directory_exclusive and replace_file_atomically: a file or link already at
// the path is an I/O error naming it and is left as it was; a link planted at a temporary path is
// replaced, never written through; permissions come from the umask.
#include "tests/support/catch.h"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <functional>

#include "lib/core/error.h"
#include "lib/core/exclusive_file.h"
#include "tests/support/text_io.h"

namespace fs = std::filesystem;
using ssa::test::read_file;

namespace {

// An empty directory of its own for one test case.
std::string scratch_dir(const std::string& name) {
  const std::string dir = (fs::temp_directory_path() / ("ssa_exclusive_" + name)).string();
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

// The ssa::Error a call throws (code kInternal and "" if it throws none).
ssa::Error error_of(const std::function<void()>& call) {
  try {
    call();
  } catch (const ssa::Error& e) {
    return e;
  }
  return ssa::Error(ssa::ExitCode::kInternal, "");
}

unsigned mode_of(const std::string& path) { return static_cast<unsigned>(fs::status(path).permissions()) & 0777u; }

}  // namespace

TEST_CASE("an exclusive file refuses a file or a link already at its path, leaving it as it was", "[files]") {
  const std::string dir = scratch_dir("refuse");
  std::ofstream(dir + "/existing") << "precious\n";
  std::ofstream(dir + "/target") << "precious\n";
  fs::create_symlink(dir + "/target", dir + "/link");
  fs::create_symlink(dir + "/nowhere", dir + "/dangling");
  for (const std::string name : {"existing", "link", "dangling"}) {
    INFO(name);
    const auto e = error_of([&] { ssa::ExclusiveFile file(dir + "/" + name); });
    CHECK(e.code() == ssa::ExitCode::kIo);
    CHECK(std::string(e.what()).find("cannot create " + dir + "/" + name + ": ") == 0);
  }
  CHECK(read_file(dir + "/existing") == "precious\n");
  CHECK(read_file(dir + "/target") == "precious\n");
  CHECK_FALSE(fs::exists(dir + "/nowhere"));  // a dangling link is not followed to create its target

  fs::create_symlink(dir, dir + "/dir_link");
  CHECK(error_of([&] { ssa::make_directory_exclusive(dir + "/dir_link"); }).code() == ssa::ExitCode::kIo);
  CHECK(fs::is_symlink(dir + "/dir_link"));
}

TEST_CASE("an exclusive file writes all bytes and syncs them", "[files]") {
  const std::string dir = scratch_dir("write");
  std::string big(3 << 20, 'x');  // larger than one write() may take
  big[12345] = 'y';
  ssa::ExclusiveFile file(dir + "/big");
  file.write("head:");
  file.write(big.data(), big.size());
  file.sync_and_close();
  CHECK(read_file(dir + "/big") == "head:" + big);
}

TEST_CASE("replace_file_atomically replaces a link planted at its temporary path, not its target", "[files]") {
  const std::string dir = scratch_dir("replace");
  std::ofstream(dir + "/victim") << "precious\n";
  fs::create_symlink(dir + "/victim", dir + "/out.txt.tmp");
  ssa::replace_file_atomically(dir + "/out.txt", "first\n");
  ssa::replace_file_atomically(dir + "/out.txt", "second\n");  // an existing file is replaced whole
  CHECK(read_file(dir + "/out.txt") == "second\n");
  CHECK(read_file(dir + "/victim") == "precious\n");
  CHECK_FALSE(fs::exists(dir + "/out.txt.tmp"));
}

TEST_CASE("created files and directories take their permissions from the umask", "[files]") {
  const std::string dir = scratch_dir("umask");
  for (const mode_t umask : {mode_t{022}, mode_t{077}}) {
    const mode_t previous = ::umask(umask);
    const std::string name = dir + "/" + std::to_string(umask);
    ssa::ExclusiveFile(name + ".file").sync_and_close();
    ssa::make_directory_exclusive(name + ".dir");
    ::umask(previous);
    CHECK(mode_of(name + ".file") == (0666u & ~umask));
    CHECK(mode_of(name + ".dir") == (0777u & ~umask));
  }
}
