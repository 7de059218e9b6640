// ImageNet folders on small real JPEG files written with libjpeg: decoding (RGB, grayscale, CMYK)
// within JPEG tolerance, clear errors for broken files, the folder index and its class list, the
// RandomResizedCrop box sampler, the training and evaluation views, RandAugment and random erasing
// (their PIL cross-check is tests/scripts/rand_augment_crosscheck.py), and whole batches.
#include "tests/support/catch.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>

#include <ATen/ATen.h>

#include "lib/core/error.h"
#include "lib/data/image_folder.h"
#include "lib/data/image_folder_dataset.h"
#include "lib/data/image_transforms.h"
#include "lib/data/jpeg_decode.h"
#include "lib/data/rand_augment.h"
#include "lib/data/task_data.h"
#include "tests/support/jpeg_writer.h"

using namespace ssa;
using namespace ssa::data;
namespace fs = std::filesystem;

namespace {

std::string temp_dir(const std::string& name) {
  const std::string dir = "/tmp/ssa_image_folder_test/" + name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

// (3, h, w) uint8 with red rising along rows, green along columns, blue constant.
at::Tensor gradient(int64_t h, int64_t w) {
  const auto r = at::linspace(0, 255, h, at::kFloat).view({1, h, 1}).expand({1, h, w});
  const auto g = at::linspace(0, 255, w, at::kFloat).view({1, 1, w}).expand({1, h, w});
  const auto b = at::full({1, h, w}, 90.0, at::kFloat);
  return at::cat({r, g, b}).round().to(at::kByte);
}

double mean_abs_diff(const at::Tensor& a, const at::Tensor& b) {
  return (a.to(at::kFloat) - b.to(at::kFloat)).abs().mean().item<double>();
}

template <class E>
std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  }
  return "(no error)";
}

std::string tiny_folder(const std::string& name) {
  const auto root = temp_dir(name);
  test::write_image_folder(root, {"n02", "n01", "n03"}, 4, 2, 36);
  return root;
}

}  // namespace

TEST_CASE("JPEG decoding returns the encoded pixels within JPEG tolerance", "[images][jpeg]") {
  const auto dir = temp_dir("decode");
  for (const auto& [h, w] : {std::pair<int64_t, int64_t>{40, 56}, {33, 17}}) {
    const auto image = gradient(h, w);
    test::write_jpeg(dir + "/rgb.jpg", image);
    const auto decoded = decode_jpeg_file(dir + "/rgb.jpg");
    REQUIRE(decoded.sizes() == at::IntArrayRef({3, h, w}));
    CHECK(decoded.scalar_type() == at::kByte);
    CHECK(mean_abs_diff(decoded, image) < 2.5);
  }
  SECTION("grayscale becomes three equal channels") {
    const auto grey = gradient(24, 30).slice(0, 0, 1);  // (1, 24, 30)
    test::write_jpeg(dir + "/grey.jpg", grey);
    const auto decoded = decode_jpeg_file(dir + "/grey.jpg");
    REQUIRE(decoded.sizes() == at::IntArrayRef({3, 24, 30}));
    CHECK(at::equal(decoded[0], decoded[1]));
    CHECK(at::equal(decoded[0], decoded[2]));
    CHECK(mean_abs_diff(decoded[0], grey[0]) < 2.5);
  }
  SECTION("CMYK (Adobe's inverted values) becomes RGB = stored C, M, Y scaled by stored K") {
    auto cmyk = at::empty({4, 16, 16}, at::kByte);
    for (const auto& [k, expected] : {std::pair<int, std::vector<double>>{255, {250, 128, 10}}, {128, {125.5, 64.3, 5}}}) {
      cmyk[0].fill_(250), cmyk[1].fill_(128), cmyk[2].fill_(10), cmyk[3].fill_(k);
      test::write_jpeg(dir + "/cmyk.jpg", cmyk);
      const auto decoded = decode_jpeg_file(dir + "/cmyk.jpg").to(at::kFloat);  // (3, 16, 16)
      REQUIRE(decoded.size(0) == 3);
      for (int c = 0; c < 3; ++c) CHECK(decoded[c].mean().item<double>() == Approx(expected[c]).margin(3));
    }
  }
}

TEST_CASE("broken JPEG files are one InputError naming the file", "[images][jpeg]") {
  const auto dir = temp_dir("broken");
  test::write_jpeg(dir + "/good.jpg", gradient(64, 64));
  const auto size = fs::file_size(dir + "/good.jpg");
  fs::copy_file(dir + "/good.jpg", dir + "/truncated.jpg");
  fs::resize_file(dir + "/truncated.jpg", size / 2);
  std::ofstream(dir + "/garbage.jpg") << "this is not a JPEG file at all";
  for (const std::string name : {"truncated.jpg", "garbage.jpg", "missing.jpg"}) {
    const std::string path = dir + "/" + name;
    const auto message = error_of<InputError>([&] { decode_jpeg_file(path); });
    INFO(message);
    CHECK(message.rfind(path + ": ", 0) == 0);
    CHECK(message.find('\n') == std::string::npos);
  }
  CHECK(decode_jpeg_file(dir + "/good.jpg").size(1) == 64);
}

TEST_CASE("the folder index: sorted classes from train, the same labels for val", "[images][folder]") {
  const auto root = tiny_folder("index");
  std::ofstream(root + "/train/n01/notes.txt") << "not an image";
  test::write_jpeg(root + "/train/n01/lower.jpg", gradient(8, 8));
  test::write_jpeg(root + "/train/n01/mixed.JpEg", gradient(8, 8));
  const auto classes = folder_classes(root + "/train");
  CHECK(classes == std::vector<std::string>{"n01", "n02", "n03"});
  const auto train = scan_image_folder(root + "/train", classes);
  REQUIRE(train.paths.size() == 14);  // 3 x 4 generated + 2 more in n01; notes.txt left out
  CHECK(std::count(train.labels.begin(), train.labels.end(), 0) == 6);
  CHECK(std::is_sorted(train.labels.begin(), train.labels.end()));
  for (size_t i = 0; i < train.paths.size(); ++i) {
    CHECK(train.paths[i].find("/train/" + classes[static_cast<size_t>(train.labels[i])] + "/") != std::string::npos);
  }
  CHECK(scan_image_folder(root + "/train", classes).paths == train.paths);  // deterministic

  SECTION("val may lack a class but keeps train's labels") {
    fs::remove_all(root + "/val/n01");
    const auto val = scan_image_folder(root + "/val", classes);
    CHECK(val.labels == std::vector<int64_t>{1, 1, 2, 2});
  }
  SECTION("a val class that train does not have is a clear error") {
    fs::create_directories(root + "/val/n99");
    const auto message = error_of<InputError>([&] { scan_image_folder(root + "/val", classes); });
    CHECK(message == root + "/val/n99: class directory is not among the 3 training classes");
  }
  SECTION("a missing split directory names it") {
    CHECK(error_of<InputError>([&] { folder_classes(root + "/test"); }) == root + "/test: no such directory");
  }
}

TEST_CASE("the RandomResizedCrop box stays in the image with area and ratio in range", "[images][crop]") {
  const CropRange range;  // scale [0.08, 1], ratio [3/4, 4/3]
  SplitMix64 rng(7);
  std::vector<double> scales;
  int wide = 0;
  const int draws = 4000;
  for (int i = 0; i < draws; ++i) {
    const auto box = sample_resized_crop_box(1000, 1000, range, rng);
    REQUIRE(box.top >= 0);
    REQUIRE(box.left >= 0);
    REQUIRE(box.top + box.height <= 1000);
    REQUIRE(box.left + box.width <= 1000);
    const double scale = static_cast<double>(box.height * box.width) / 1e6;
    const double ratio = static_cast<double>(box.width) / static_cast<double>(box.height);
    CHECK(scale >= 0.08 * 0.99);
    CHECK(ratio >= 0.75 * 0.99);
    CHECK(ratio <= 4.0 / 3.0 * 1.01);
    scales.push_back(scale);
    wide += ratio > 1.0;
  }
  std::sort(scales.begin(), scales.end());
  CHECK(scales[draws / 10] < 0.2);                      // the small crops are drawn...
  CHECK(scales[draws * 9 / 10] > 0.7);                  // ...and the large ones
  CHECK(wide == Approx(draws / 2).margin(draws / 20));  // log-ratio symmetric on a square image

  SECTION("a narrower range is respected") {
    const CropRange square{0.5, 1.0, 1.0, 1.0};
    for (int i = 0; i < 200; ++i) {
      const auto box = sample_resized_crop_box(300, 400, square, rng);
      CHECK(box.width == box.height);
      CHECK(box.width * box.height >= 0.5 * 300 * 400 * 0.99);
    }
  }
  SECTION("an image no box fits falls back to the central crop at the nearest allowed ratio") {
    const auto box = sample_resized_crop_box(10, 1000, range, rng);  // ratio 100: every attempt fails
    CHECK(box.height == 10);
    CHECK(box.width == 13);  // round(10 x 4/3)
    CHECK(box.left == (1000 - 13) / 2);
    CHECK(box.top == 0);
  }
}

TEST_CASE("training views: shape, same seed same view, other seeds other views", "[images][crop]") {
  const auto image = gradient(48, 64);
  const CropRange range;
  const auto view_with = [&](uint64_t seed) {
    SplitMix64 rng(seed);
    return train_view(image, 32, range, true, Interpolation::kBicubic, rng);
  };
  const auto a = view_with(1);
  CHECK(a.sizes() == at::IntArrayRef({3, 32, 32}));
  CHECK(a.min().item<double>() >= 0.0);
  CHECK(a.max().item<double>() <= 255.0);
  CHECK(at::equal(a, view_with(1)));
  int differing = 0;
  for (uint64_t seed = 2; seed < 12; ++seed) differing += !at::allclose(a, view_with(seed));
  CHECK(differing == 10);
}

TEST_CASE("the evaluation view is the centre crop of the shorter-side resize", "[images][crop]") {
  const auto image = gradient(32, 40);
  SECTION("no resize needed: exactly the central pixels") {
    // side 28 / 0.875 = 32 = the shorter side, so only the crop [2, 30) x [6, 34) remains.
    const auto view = eval_view(image, 28, 0.875, Interpolation::kBilinear);
    CHECK(at::equal(view, image.slice(1, 2, 30).slice(2, 6, 34).to(at::kFloat)));
  }
  SECTION("a larger image is resized first") {
    const auto big = at::upsample_nearest2d(image.unsqueeze(0).to(at::kFloat), {64, 80}).squeeze(0).to(at::kByte);
    const auto view = eval_view(big, 28, 0.875, Interpolation::kBilinear);  // 64 x 80 -> 32 x 40 -> crop
    REQUIRE(view.sizes() == at::IntArrayRef({3, 28, 28}));
    CHECK(mean_abs_diff(view, image.slice(1, 2, 30).slice(2, 6, 34)) < 3.0);
  }
  CHECK(center_box(341, 341, 224, 224).top == 58);   // torchvision: int(round(117 / 2)), halves to even
  CHECK(center_box(343, 343, 224, 224).left == 60);  // round(59.5) = 60
  CHECK(shorter_side_size(300, 500, 256) == std::pair<int64_t, int64_t>{256, 426});
  CHECK(shorter_side_size(500, 300, 256) == std::pair<int64_t, int64_t>{426, 256});
}

TEST_CASE("RandAugment ops: neutral levels change nothing, draws are deterministic by seed", "[images][augment]") {
  const auto image = gradient(40, 48);
  for (const auto op : {AugmentOp::kRotate, AugmentOp::kShearX, AugmentOp::kShearY, AugmentOp::kTranslateX,
                        AugmentOp::kTranslateY, AugmentOp::kSolarize, AugmentOp::kSolarizeAdd, AugmentOp::kColor,
                        AugmentOp::kContrast, AugmentOp::kBrightness, AugmentOp::kSharpness}) {
    for (const auto mode : {Interpolation::kBilinear, Interpolation::kBicubic}) {
      INFO(augment_op_name(op));
      CHECK(at::equal(apply_augment_op(image, op, 0.0, false, mode), image));
    }
  }
  const auto invert = [](const at::Tensor& x) { return apply_augment_op(x, AugmentOp::kInvert, 5, false, {}); };
  CHECK(at::equal(invert(image), 255 - image));
  CHECK(at::equal(invert(invert(image)), image));
  // Posterize keeps 4 - floor(level / 10 * 4) bits: 1 bit at level 9.
  CHECK(apply_augment_op(image, AugmentOp::kPosterize, 9, false, {}).bitwise_and(127).max().item<int64_t>() == 0);
  // A translation by 45% of the width leaves that share of columns to the fill colour (124, 116, 104).
  const auto moved = apply_augment_op(at::zeros({3, 10, 20}, at::kByte), AugmentOp::kTranslateX, 10, false, {});
  CHECK(at::equal(moved.slice(2, 11), at::tensor({124, 116, 104}, at::kByte).view({3, 1, 1}).expand({3, 10, 9})));
  CHECK(moved.slice(2, 0, 11).max().item<int64_t>() == 0);

  RandAugmentConfig config;
  const auto augmented = [&](uint64_t seed) {
    SplitMix64 rng(seed);
    return rand_augment(image, config, Interpolation::kBicubic, rng);
  };
  CHECK(at::equal(augmented(1), image));  // layers 0: off
  config.layers = 2;
  config.probability = 0.0;
  CHECK(at::equal(augmented(1), image));
  config.probability = 1.0;
  CHECK(at::equal(augmented(7), augmented(7)));
  int changed = 0, distinct = 0;
  for (uint64_t seed = 1; seed <= 30; ++seed) {
    changed += !at::equal(augmented(seed), image);
    distinct += !at::equal(augmented(seed), augmented(seed + 100));
  }
  CHECK(changed >= 27);  // only AutoContrast is neutral on this image (full-range or constant channels)
  CHECK(distinct >= 27);
}

TEST_CASE("random erasing: one solid box of N(0, 1) noise, 2% to 1/3 of the area", "[images][augment]") {
  int erased = 0;
  std::vector<at::Tensor> noise;
  for (uint64_t seed = 1; seed <= 400; ++seed) {
    auto image = at::zeros({3, 32, 40});
    SplitMix64 rng(seed);
    random_erase_(image, 0.25, rng);
    const auto mask = image.ne(0).any(0);  // (H, W)
    if (!mask.any().item<bool>()) continue;
    ++erased;
    const auto rows = mask.any(1).nonzero(), cols = mask.any(0).nonzero();
    const int64_t h = rows.max().item<int64_t>() - rows.min().item<int64_t>() + 1;
    const int64_t w = cols.max().item<int64_t>() - cols.min().item<int64_t>() + 1;
    INFO("seed " << seed << ": " << h << " x " << w);
    CHECK(mask.sum().item<int64_t>() == h * w);  // a solid rectangle
    CHECK(h < 32);
    CHECK(w < 40);
    // Rounding h and w moves the area by up to about sqrt(area) off [2%, 1/3] of 1,280.
    CHECK(static_cast<double>(h * w) >= 0.02 * 1280 - 2 * std::sqrt(0.02 * 1280));
    CHECK(static_cast<double>(h * w) <= 1280.0 / 3 + 2 * std::sqrt(1280.0 / 3));
    noise.push_back(image.masked_select(mask.unsqueeze(0).expand({3, 32, 40})));
  }
  CHECK(erased == Approx(100).margin(26));  // Binomial(400, 0.25): 4 standard deviations
  const auto values = at::cat(noise);
  CHECK(values.mean().item<double>() == Approx(0.0).margin(0.03));
  CHECK(values.std().item<double>() == Approx(1.0).margin(0.03));
  auto untouched = at::ones({3, 8, 8});
  SplitMix64 rng(1);
  random_erase_(untouched, 0.0, rng);
  CHECK(at::equal(untouched, at::ones({3, 8, 8})));
}

TEST_CASE("image folder batches: normalised views, deterministic by seed, soft targets", "[images][folder]") {
  const auto root = tiny_folder("batches");
  const auto classes = folder_classes(root + "/train");
  DataConfig config;  // the defaults: flip, no mixing, bicubic, crop fraction 0.875
  ImageFolderDataset train(scan_image_folder(root + "/train", classes), 24, config);
  REQUIRE(train.size() == 12);
  const std::vector<int64_t> indices = {0, 5, 11, 3};

  const auto eval = train.batch(indices, std::nullopt);
  REQUIRE(eval.input.sizes() == at::IntArrayRef({4, 3, 24, 24}));
  CHECK(at::equal(eval.target, at::tensor({0, 1, 2, 0}, at::kLong)));
  // Class n01 (label 0) is colour 1 of the generator, (40, 200, 60) around its centre.
  const auto red = eval.input[0][0].mean().item<double>(), green = eval.input[0][1].mean().item<double>();
  CHECK(red == Approx((40 / 255.0 - 0.485) / 0.229).margin(0.1));
  CHECK(green == Approx((200 / 255.0 - 0.456) / 0.224).margin(0.1));

  const auto a = train.batch(indices, 42), b = train.batch(indices, 42), c = train.batch(indices, 43);
  CHECK(at::equal(a.input, b.input));
  CHECK(!at::allclose(a.input, c.input));
  CHECK(a.target.scalar_type() == at::kLong);

  SECTION("mixup and label smoothing give soft targets that sum to 1") {
    config.augment.mixup_alpha = 0.8;
    config.augment.cutmix_alpha = 1.0;
    config.augment.label_smoothing = 0.1;
    ImageFolderDataset mixed(scan_image_folder(root + "/train", classes), 24, config);
    const auto m = mixed.batch(indices, 42);
    REQUIRE(m.target.sizes() == at::IntArrayRef({4, 3}));
    CHECK(at::allclose(m.target.sum(1), at::ones({4})));
    CHECK(m.target.min().item<double>() >= 0.1 / 3 - 1e-6);
  }
  SECTION("RandAugment and random erasing change training views only, deterministically") {
    config.augment.rand_augment.layers = 2;
    config.augment.random_erasing = 1.0;
    ImageFolderDataset augmented(scan_image_folder(root + "/train", classes), 24, config);
    const auto r = augmented.batch(indices, 42);
    CHECK(at::equal(r.input, augmented.batch(indices, 42).input));
    CHECK(!at::allclose(r.input, a.input));
    CHECK(at::equal(augmented.batch(indices, std::nullopt).input, eval.input));
  }
  SECTION("a broken file in a batch is an InputError naming it") {
    const auto path = root + "/train/n02/img_1.JPEG";
    fs::resize_file(path, fs::file_size(path) / 3);
    const auto message = error_of<InputError>([&] { train.batch({4, 5, 6}, 1); });
    CHECK(message.rfind(path + ": ", 0) == 0);
  }
}

TEST_CASE("data.dataset imagenet loads both splits and checks the class count", "[images][folder]") {
  const auto root = tiny_folder("task");
  DataConfig config;
  config.dataset = DatasetKind::kImageNet;
  config.root = root;
  TaskDataOptions options;
  options.task = Task::kImageClassification;
  options.image_side = 16;
  options.num_classes = 3;
  const auto data = load_task_data(config, options);
  CHECK(data.train->size() == 12);
  CHECK(data.valid->size() == 6);
  CHECK(data.valid->batch({5}, std::nullopt).target.item<int64_t>() == 2);
  options.num_classes = 1000;
  CHECK(error_of<ConfigError>([&] { load_task_data(config, options); }) ==
        "model.num_classes: is 1000 but " + root + "/train holds 3 class directories");
}
