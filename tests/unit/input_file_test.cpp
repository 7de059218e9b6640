// read_input_file, check_input_file and read_maybe_gzipped: every input reader's problems come out
// as one line "<label>: <path>: <problem>", and the bytes read are exactly the file's.
#include "tests/support/catch.h"

#include <unistd.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <vector>

#include "lib/core/error.h"
#include "lib/core/input_file.h"

namespace fs = std::filesystem;

namespace {

std::string scratch_dir(const std::string& name) {
  const std::string dir = (fs::temp_directory_path() / ("ssa_input_" + name + "_" + std::to_string(::getpid()))).string();
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

std::string write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

std::string write_gzip(const std::string& path, const std::string& bytes) {
  gzFile file = gzopen(path.c_str(), "wb");
  REQUIRE(file != nullptr);
  REQUIRE(gzwrite(file, bytes.data(), static_cast<unsigned>(bytes.size())) == static_cast<int>(bytes.size()));
  gzclose(file);
  return path;
}

// The InputError message a call throws ("" if it throws none; other errors fail the test).
std::string input_error(const std::function<void()>& call) {
  try {
    call();
  } catch (const ssa::InputError& e) {
    return e.what();
  }
  return "";
}

// 3 MiB with every byte value, NULs included: more than one read chunk.
std::string binary_bytes() {
  std::string bytes(3 << 20, '\0');
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>((i * 7919) % 256);
  return bytes;
}

}  // namespace

TEST_CASE("read_input_file returns the file's bytes exactly", "[input_file]") {
  const std::string dir = scratch_dir("bytes");
  const std::string bytes = binary_bytes();
  const std::string path = write_bytes(dir + "/data.bin", bytes);
  CHECK(ssa::read_input_file(path) == bytes);
  CHECK(ssa::check_input_file(path) == static_cast<int64_t>(bytes.size()));
  CHECK(ssa::read_maybe_gzipped(path) == bytes);  // not gzip: read unchanged
  CHECK(ssa::read_maybe_gzipped(write_gzip(dir + "/data.bin.gz", bytes)) == bytes);
}

TEST_CASE("input file problems are one line naming the label and the path", "[input_file]") {
  const std::string dir = scratch_dir("problems");
  const std::string missing = dir + "/missing.txt";
  CHECK(input_error([&] { ssa::read_input_file(missing, "data.train_paths[0]"); }) ==
        "data.train_paths[0]: " + missing + ": no such file");
  CHECK(input_error([&] { ssa::read_input_file(missing); }) == missing + ": no such file");
  CHECK(input_error([&] { ssa::check_input_file(dir, "--dict"); }) ==
        "--dict: " + dir + ": is a directory, expected a file");
  CHECK(input_error([&] { ssa::read_maybe_gzipped(dir); }) == dir + ": is a directory, expected a file");

  const std::string empty = write_bytes(dir + "/empty.txt", "");
  CHECK(input_error([&] { ssa::read_input_file(empty, "enwik8"); }) == "enwik8: " + empty + ": file is empty");
  CHECK(input_error([&] { ssa::read_maybe_gzipped(empty); }) == empty + ": file is empty");
  CHECK(ssa::read_input_file(empty, "", ssa::EmptyFile::kAllowed).empty());
  CHECK(ssa::check_input_file(empty, "", ssa::EmptyFile::kAllowed) == 0);
  // A gzip file that holds nothing is empty too, though the file is not.
  CHECK(input_error([&] { ssa::read_maybe_gzipped(write_gzip(dir + "/nothing.gz", "")); }).find("file is empty") !=
        std::string::npos);
}

TEST_CASE("truncated gzip data is refused, not read as a short file", "[input_file]") {
  const std::string dir = scratch_dir("gzip");
  // Every cut of a small file, the trailer's 8 bytes included (gzread takes a file that ends in
  // its trailer for a complete one), and three cuts of a large one.
  const std::string small = ssa::read_input_file(write_gzip(dir + "/small.gz", "idx,smiles,gap\n0,CCO,1.5\n"));
  const std::string large = ssa::read_input_file(write_gzip(dir + "/large.gz", binary_bytes()));
  std::vector<std::string> cuts;
  for (size_t cut = 2; cut < small.size(); ++cut) cuts.push_back(small.substr(0, cut));
  for (const size_t cut : {large.size() - 4, large.size() / 2, size_t{20}}) cuts.push_back(large.substr(0, cut));
  const std::string path = dir + "/cut.gz";
  for (const auto& cut : cuts) {
    write_bytes(path, cut);
    const std::string error = input_error([&] { ssa::read_maybe_gzipped(path, "data.train_images"); });
    INFO("cut at " << cut.size() << " bytes");
    CHECK(error.find("data.train_images: " + path + ": cannot decompress (") == 0);
    CHECK(error.find('\n') == std::string::npos);
  }
  // Concatenated members are one file (as gzip -c a b > ab makes); anything else after one is not.
  CHECK(ssa::read_maybe_gzipped(write_bytes(path, small + small)) ==
        "idx,smiles,gap\n0,CCO,1.5\nidx,smiles,gap\n0,CCO,1.5\n");
  CHECK(input_error([&] { ssa::read_maybe_gzipped(write_bytes(path, small + "junk")); }).find("cannot decompress") !=
        std::string::npos);
}
