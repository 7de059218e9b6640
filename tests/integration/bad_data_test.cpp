// Bad data through the real binary: every case (missing, empty, a directory, truncated, wrong
// format, corrupt compression, out-of-range values; text and image datasets) exits 3 with one
// line on stderr naming the file, and writes nothing: the run directory is never created. On two
// ranks the same failure ends both ranks quickly instead of leaving one waiting.
#include "tests/support/catch.h"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <vector>

#include "tests/support/run_binary.h"

using namespace ssa::test;
namespace fs = std::filesystem;

namespace {

struct BadDataCase {
  std::string name;
  std::string config;                  // configs/test/<config>
  std::vector<std::string> overrides;  // point data.* at the bad file
  std::string message;                 // a substring of the one error line
};

const std::string kDir = test_runs_root() + "/bad_data_files";

std::string write_file(const std::string& name, const std::vector<uint8_t>& bytes) {
  fs::create_directories(fs::path(kDir + "/" + name).parent_path());
  const std::string path = kDir + "/" + name;
  std::ofstream(path, std::ios::binary)
      .write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  return path;
}

// An idx header for unsigned bytes: magic 0x00000800 + dims, then big-endian sizes.
std::vector<uint8_t> idx_header(const std::vector<uint32_t>& sizes) {
  std::vector<uint8_t> bytes{0, 0, 8, static_cast<uint8_t>(sizes.size())};
  for (const uint32_t s : sizes) {
    for (int shift = 24; shift >= 0; shift -= 8) bytes.push_back(static_cast<uint8_t>(s >> shift));
  }
  return bytes;
}

std::vector<BadDataCase> cases() {
  const auto text = [](const std::string& path, std::vector<std::string> extra = {}) {
    extra.insert(extra.begin(), "data.train_paths=[" + path + "]");
    return extra;
  };
  std::vector<uint8_t> truncated_images = idx_header({10, 28, 28});
  truncated_images.resize(truncated_images.size() + 100);  // 7,840 pixels promised
  std::vector<uint8_t> bad_magic = idx_header({10, 28, 28});
  bad_magic[2] = 0x0d;  // float data: not what an image file holds
  bad_magic.resize(bad_magic.size() + 10 * 28 * 28);
  const std::vector<uint8_t> not_gzip{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 'n', 'o', 't', ' ', 'z'};
  std::vector<uint8_t> labels = idx_header({10});  // good labels beside the bad images
  labels.resize(labels.size() + 10, 3);
  for (const std::string root : {"truncated", "magic"})
    write_file("roots/" + root + "/train-labels-idx1-ubyte", labels);
  return {
      {"missing text file", "tiny_decoder.yaml", text("/no/such/corpus.txt"), "/no/such/corpus.txt: no such file"},
      {"empty text file", "tiny_decoder.yaml", text(write_file("empty.txt", {})), "empty.txt: file is empty"},
      {"directory instead of a file", "tiny_decoder.yaml", text(kDir), "is a directory"},
      {"uint16 tokens cut mid-token", "tiny_decoder.yaml",
       text(write_file("cut.u16", {1, 0, 2, 0, 3}), {"data.format=uint16"}), "cut.u16: size 5 is not a multiple of 2"},
      {"token id beyond the vocabulary", "tiny_decoder.yaml",
       text(write_file("huge.u32", std::vector<uint8_t>(4096, 0xff)), {"data.format=uint32"}), "too large"},
      {"image root missing",
       "tiny_swin.yaml",
       {"data.root=/no/such/fashion-mnist"},
       "/no/such/fashion-mnist: no such directory"},
      {"truncated idx image file",
       "tiny_swin.yaml",
       {"data.root=" +
        fs::path(write_file("roots/truncated/train-images-idx3-ubyte", truncated_images)).parent_path().string()},
       "train-images-idx3-ubyte: holds 100 data bytes, the header promises 7840"},
      {"idx file of the wrong data type",
       "tiny_swin.yaml",
       {"data.root=" + fs::path(write_file("roots/magic/train-images-idx3-ubyte", bad_magic)).parent_path().string()},
       "bad magic number"},
      {"corrupt gzip",
       "tiny_swin.yaml",
       {"data.root=" + fs::path(write_file("roots/gzip/train-images-idx3-ubyte.gz", not_gzip)).parent_path().string()},
       "train-images-idx3-ubyte.gz: cannot decompress"},
      {"CIFAR-10 batch of the wrong size",
       "tiny_swin.yaml",
       {"data.dataset=cifar10", "model.image_size=32", "model.in_channels=3", "model.patch_size=8",
        "data.root=" +
            fs::path(write_file("roots/cifar/data_batch_1.bin", std::vector<uint8_t>(3073 + 17, 1))).parent_path().string()},
       "data_batch_1.bin: size 3090 is not a whole number of 3073-byte"},
  };
}

}  // namespace

TEST_CASE("bad data exits 3 with one line naming the file, and writes nothing", "[integration][bad-data]") {
  const auto all = cases();
  REQUIRE(all.size() >= 8);
  for (const auto& c : all) {
    SECTION(c.name) {
      const std::string dir = fresh_run_dir("bad_data_run");
      std::vector<std::string> args{source_path("configs/test/" + c.config), "run.dir=" + dir};
      args.insert(args.end(), c.overrides.begin(), c.overrides.end());
      const auto r = run_ssa_train(args);
      INFO(r.err);
      CHECK(r.exit_code == 3);
      CHECK(r.err.rfind("ssa-train: error: ", 0) == 0);
      CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
      CHECK(r.err.find(c.message) != std::string::npos);
      CHECK_FALSE(fs::exists(dir));
    }
  }
}

TEST_CASE("bad data on two ranks ends both at once with exit 3, writing nothing", "[integration][bad-data][dist]") {
  const std::string dir = fresh_run_dir("bad_data_ranks");
  const auto start = std::chrono::steady_clock::now();
  const auto results = run_ranks(2,
                                 {source_path("configs/test/tiny_decoder.yaml"), "run.dir=" + dir, "dist.timeout_s=30",
                                  "data.train_paths=[/no/such/corpus.txt]"},
                                 29780);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  for (size_t rank = 0; rank < results.size(); ++rank) {
    const auto& r = results[rank];
    INFO(r.err);
    CHECK(r.exit_code == 3);
    CHECK(r.err.find("ssa-train: error: [rank " + std::to_string(rank) + "/2] ") != std::string::npos);
    CHECK(r.err.find("/no/such/corpus.txt: no such file") != std::string::npos);
  }
  CHECK(seconds < 20);  // far below dist.timeout_s: nobody waited for a rank that had given up
  CHECK_FALSE(fs::exists(dir));
}
