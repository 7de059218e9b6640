// Image data: idx (plain and gzipped) and CIFAR-10 readers on small files written in the real
// formats, clear errors for broken files, the training transforms, pixel sequences, the example
// order, and the real Fashion-MNIST files of the Debian package.
#include "tests/support/catch.h"

#include <unistd.h>
#include <zlib.h>

#include <fstream>
#include <set>

#include <ATen/ATen.h>

#include "lib/core/error.h"
#include "lib/data/chunk_sampler.h"
#include "lib/data/image_dataset.h"
#include "lib/data/image_files.h"
#include "lib/data/task_data.h"

using namespace ssa;
using namespace ssa::data;

namespace {

// Per process: ctest runs test cases in parallel processes that share fixture names ("small").
std::string temp_path(const std::string& name) {
  return "/tmp/ssa_image_test_" + std::to_string(::getpid()) + "_" + name;
}

void write_bytes(const std::string& path, const std::vector<uint8_t>& bytes, bool gzip) {
  if (gzip) {
    gzFile f = gzopen(path.c_str(), "wb");
    gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size()));
    gzclose(f);
  } else {
    std::ofstream(path, std::ios::binary)
        .write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  }
}

void put_u32(std::vector<uint8_t>& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<uint8_t>(v >> shift));
}

// n images of h x w with pixel (i, r, c) = (i * 7 + r * w + c) % 256, labels i % 10.
std::pair<std::string, std::string> write_idx(const std::string& name, int64_t n, int64_t h, int64_t w, bool gzip) {
  std::vector<uint8_t> images, labels;
  put_u32(images, 0x803);
  for (const int64_t d : {n, h, w}) put_u32(images, static_cast<uint32_t>(d));
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t p = 0; p < h * w; ++p) images.push_back(static_cast<uint8_t>((i * 7 + p) % 256));
  }
  put_u32(labels, 0x801);
  put_u32(labels, static_cast<uint32_t>(n));
  for (int64_t i = 0; i < n; ++i) labels.push_back(static_cast<uint8_t>(i % 10));
  const auto ip = temp_path(name + "_images"), lp = temp_path(name + "_labels");
  write_bytes(ip, images, gzip);
  write_bytes(lp, labels, gzip);
  return {ip, lp};
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no error)";
}

ImageSet small_set(int64_t n) {
  const auto [ip, lp] = write_idx("small", n, 4, 4, false);
  return read_idx_images(ip, lp, 10);
}

}  // namespace

TEST_CASE("idx files read the same plain and gzipped", "[images]") {
  const auto [ip, lp] = write_idx("plain", 5, 3, 4, false);
  const auto [gip, glp] = write_idx("gz", 5, 3, 4, true);
  const auto plain = read_idx_images(ip, lp, 10), gz = read_idx_images(gip, glp, 10);
  REQUIRE(plain.pixels.sizes() == at::IntArrayRef({5, 1, 3, 4}));
  CHECK(at::equal(plain.pixels, gz.pixels));
  CHECK(at::equal(plain.labels, gz.labels));
  CHECK(plain.pixels[2][0][1][3].item<int64_t>() == (2 * 7 + 1 * 4 + 3) % 256);
  CHECK(plain.labels[3].item<int64_t>() == 3);
}

TEST_CASE("broken idx files give one error naming the file", "[images][bad-data]") {
  const auto [ip, lp] = write_idx("broken", 4, 3, 3, false);
  std::ifstream in(ip, std::ios::binary);
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), {});
  std::ofstream(temp_path("cut"), std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size() - 5));
  CHECK_THAT(error_of([&] { read_idx_images(temp_path("cut"), lp, 10); }),
             Catch::Contains(temp_path("cut")) && Catch::Contains("truncated"));
  CHECK_THAT(error_of([&] { read_idx_images(lp, lp, 10); }), Catch::Contains("bad magic"));
  CHECK_THAT(error_of([&] { read_idx_images(temp_path("missing"), lp, 10); }), Catch::Contains("no such file"));
  CHECK_THAT(error_of([&] { read_idx_images(ip, lp, 2); }), Catch::Contains("outside the 2 classes"));
  const auto [ip5, lp5] = write_idx("five", 5, 3, 3, false);
  CHECK_THAT(error_of([&] { read_idx_images(ip, lp5, 10); }), Catch::Contains("5 labels but"));
  write_bytes(temp_path("badgz"), {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3}, false);
  CHECK_THAT(error_of([&] { read_idx_images(temp_path("badgz"), lp, 10); }),
             Catch::Contains(temp_path("badgz") + ": cannot decompress"));
}

TEST_CASE("CIFAR-10 records are planar RGB with a label byte", "[images]") {
  std::vector<uint8_t> bytes;
  for (int record = 0; record < 2; ++record) {
    bytes.push_back(static_cast<uint8_t>(record + 3));  // label
    for (int channel = 0; channel < 3; ++channel) {
      for (int p = 0; p < 1024; ++p) bytes.push_back(static_cast<uint8_t>(channel * 50 + record));
    }
  }
  write_bytes(temp_path("cifar.bin"), bytes, false);
  const auto set = read_cifar10_batches({temp_path("cifar.bin")});
  REQUIRE(set.pixels.sizes() == at::IntArrayRef({2, 3, 32, 32}));
  CHECK(set.labels[1].item<int64_t>() == 4);
  CHECK(set.pixels[1][2][31][31].item<int64_t>() == 101);
  bytes.pop_back();
  write_bytes(temp_path("cifar_cut.bin"), bytes, false);
  CHECK_THAT(error_of([&] { read_cifar10_batches({temp_path("cifar_cut.bin")}); }),
             Catch::Contains("cifar_cut.bin") && Catch::Contains("3073-byte"));
}

TEST_CASE("classification batches are normalised and augmented reproducibly", "[images]") {
  const ImageSet set = small_set(20);
  const auto stats = channel_stats(set.pixels);
  ImageAugmentConfig augment;
  augment.crop_padding = 1;
  const ImageClassificationDataset dataset(set, stats, augment);
  const auto plain = dataset.batch({0, 1, 2, 3}, std::nullopt);
  REQUIRE(plain.input.sizes() == at::IntArrayRef({4, 1, 4, 4}));
  CHECK(plain.target.dim() == 1);
  const auto all = dataset.batch(
      std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19}, std::nullopt);
  CHECK(all.input.mean().item<double>() == Approx(0.0).margin(1e-5));
  CHECK(all.input.std().item<double>() == Approx(1.0).epsilon(0.05));
  const auto a = dataset.batch({0, 1, 2, 3}, 42), b = dataset.batch({0, 1, 2, 3}, 42),
             c = dataset.batch({0, 1, 2, 3}, 43);
  CHECK(at::equal(a.input, b.input));
  CHECK_FALSE(at::equal(a.input, c.input));
  CHECK_FALSE(at::equal(a.input, plain.input));
}

TEST_CASE("mixup, cutmix and label smoothing give soft labels that sum to one", "[images]") {
  const ImageSet set = small_set(8);
  for (const auto& [mixup, cutmix, smoothing] : std::vector<std::tuple<double, double, double>>{
           {0.8, 0.0, 0.1}, {0.0, 1.0, 0.0}, {0.8, 1.0, 0.1}, {0.0, 0.0, 0.1}}) {
    ImageAugmentConfig augment;
    augment.mixup_alpha = mixup;
    augment.cutmix_alpha = cutmix;
    augment.label_smoothing = smoothing;
    const ImageClassificationDataset dataset(set, channel_stats(set.pixels), augment);
    const auto b = dataset.batch({0, 1, 2, 3}, 7);
    REQUIRE(b.target.sizes() == at::IntArrayRef({4, 10}));
    CHECK(b.target.sum(1).allclose(at::ones({4})));
    CHECK(b.target.min().item<double>() >= 0.0);
    if (mixup == 0 && cutmix == 0) CHECK(b.target.max().item<double>() == Approx(0.9 + 0.01));
  }
}

TEST_CASE("pixel sequences are raster (row, column, channel) with a begin token", "[images]") {
  ImageSet set;
  set.pixels = at::arange(2 * 3 * 2 * 2, at::kLong).to(at::kByte).view({2, 3, 2, 2});  // (N, C, H, W)
  set.labels = at::zeros({2}, at::kLong);
  set.classes = 10;
  const PixelSequenceDataset dataset(set);
  CHECK(dataset.sequence_length() == 12);
  const auto b = dataset.batch({1}, std::nullopt);
  // Image 1: channel c plane starts at 12 + 4c; pixel (r, col) -> + 2r + col.
  const std::vector<int64_t> expected = {12, 16, 20, 13, 17, 21, 14, 18, 22, 15, 19, 23};
  CHECK(at::equal(b.target[0], at::tensor(expected, at::kLong)));
  CHECK(b.input[0][0].item<int64_t>() == PixelSequenceDataset::kBeginToken);
  CHECK(at::equal(b.input[0].slice(0, 1), b.target[0].slice(0, 0, 11)));
}

TEST_CASE("the shuffled example order visits each example once per epoch and resumes exactly", "[images][order]") {
  ShuffledOrder order(10, 5);
  const auto first = order.next(10);
  CHECK(std::set<int64_t>(first.begin(), first.end()).size() == 10);
  const auto second = order.next(10);
  CHECK(first != second);
  ShuffledOrder resumed(10, 5);
  resumed.set_position({1, 4});
  const auto tail = resumed.next(6);
  CHECK(std::vector<int64_t>(second.begin() + 4, second.end()) == tail);
}

TEST_CASE("the Debian Fashion-MNIST files read as 60000 + 10000 balanced 28x28 images", "[images][real-data]") {
  const std::string root = "/usr/share/datasets/fashion-mnist/";
  const auto train = read_idx_images(root + "train-images-idx3-ubyte.gz", root + "train-labels-idx1-ubyte.gz", 10);
  const auto test = read_idx_images(root + "t10k-images-idx3-ubyte.gz", root + "t10k-labels-idx1-ubyte.gz", 10);
  CHECK(train.pixels.sizes() == at::IntArrayRef({60000, 1, 28, 28}));
  CHECK(test.pixels.sizes() == at::IntArrayRef({10000, 1, 28, 28}));
  CHECK(at::equal(at::bincount(train.labels), at::full({10}, 6000, at::kLong)));
}

TEST_CASE("data.train_images keeps the first N training images and all validation images", "[images][real-data]") {
  DataConfig config;
  config.dataset = DatasetKind::kFashionMnist;
  config.seq_len = 784;
  config.train_images = 100;
  TaskDataOptions options;
  options.task = Task::kImageGeneration;
  options.vocab_size = PixelSequenceDataset::kVocabulary;
  const auto data = load_task_data(config, options);
  CHECK(data.train->size() == 100);
  CHECK(data.valid->size() == 10000);
  const std::string root = "/usr/share/datasets/fashion-mnist/";
  const auto all = read_idx_images(root + "train-images-idx3-ubyte.gz", root + "train-labels-idx1-ubyte.gz", 10);
  const auto last = data.train->batch({99}, std::nullopt).target[0];  // (784) sub-pixels of image 99
  CHECK(at::equal(last, all.pixels[99].reshape({-1}).to(at::kLong)));
  config.train_images = 60001;
  CHECK_THROWS_WITH(load_task_data(config, options),
                    "data.train_images: is 60001 but the training split holds only 60000 images");
}
