// idx and CIFAR-10 binary readers (see image_files.h).
#include "lib/data/image_files.h"

#include <cstring>

#include <ATen/ATen.h>

#include "lib/core/error.h"
#include "lib/core/input_file.h"

namespace ssa::data {
namespace {

constexpr int64_t kCifarSide = 32, kCifarChannels = 3;
constexpr int64_t kCifarRecord = 1 + kCifarChannels * kCifarSide * kCifarSide;  // 3073 bytes

uint32_t big_endian_u32(const std::string& bytes, size_t at) {
  const auto byte = [&](size_t i) { return uint32_t{static_cast<uint8_t>(bytes[at + i])}; };
  return (byte(0) << 24) | (byte(1) << 16) | (byte(2) << 8) | byte(3);
}

// An idx header: magic 0x0000 08 <dims>, then <dims> big-endian sizes. Returns the sizes.
std::vector<int64_t> idx_shape(const std::string& bytes, int expected_dims, const std::string& path) {
  if (bytes.size() < 4 || big_endian_u32(bytes, 0) != 0x800u + static_cast<uint32_t>(expected_dims)) {
    throw InputError(path + ": not an idx file of unsigned bytes with " + std::to_string(expected_dims) +
                     " dimensions (bad magic number)");
  }
  const size_t header = 4 + 4 * static_cast<size_t>(expected_dims);
  if (bytes.size() < header) throw InputError(path + ": truncated idx header");
  std::vector<int64_t> shape;
  int64_t total = 1;
  for (int d = 0; d < expected_dims; ++d) {
    shape.push_back(big_endian_u32(bytes, 4 + 4 * static_cast<size_t>(d)));
    total *= shape.back();
  }
  if (static_cast<int64_t>(bytes.size() - header) != total) {
    throw InputError(path + ": holds " + std::to_string(bytes.size() - header) + " data bytes, the header promises " +
                     std::to_string(total) + " (truncated file?)");
  }
  return shape;
}

at::Tensor bytes_tensor(const std::string& bytes, size_t offset, at::IntArrayRef shape) {
  auto t = at::empty(shape, at::kByte);
  std::memcpy(t.data_ptr<uint8_t>(), bytes.data() + offset, static_cast<size_t>(t.numel()));
  return t;
}

void check_labels(const at::Tensor& labels, int64_t classes, const std::string& path) {
  if (labels.numel() == 0) throw InputError(path + ": holds no examples");
  const int64_t top = labels.max().item<int64_t>();
  if (top >= classes) {
    throw InputError(path + ": label " + std::to_string(top) + " is outside the " + std::to_string(classes) +
                     " classes");
  }
}

}  // namespace

ImageSet read_idx_images(const std::string& images_path, const std::string& labels_path, int64_t classes) {
  const auto image_bytes = read_maybe_gzipped(images_path);
  const auto label_bytes = read_maybe_gzipped(labels_path);
  const auto image_shape = idx_shape(image_bytes, 3, images_path);  // N, H, W
  const auto label_shape = idx_shape(label_bytes, 1, labels_path);  // N
  if (image_shape[0] != label_shape[0]) {
    throw InputError(labels_path + ": holds " + std::to_string(label_shape[0]) + " labels but " + images_path +
                     " holds " + std::to_string(image_shape[0]) + " images");
  }
  ImageSet set;
  set.pixels = bytes_tensor(image_bytes, 16, {image_shape[0], 1, image_shape[1], image_shape[2]});
  set.labels = bytes_tensor(label_bytes, 8, {label_shape[0]}).to(at::kLong);
  set.classes = classes;
  check_labels(set.labels, classes, labels_path);
  return set;
}

ImageSet read_cifar10_batches(const std::vector<std::string>& paths) {
  std::vector<at::Tensor> pixels, labels;
  for (const auto& path : paths) {
    const auto bytes = read_maybe_gzipped(path);
    if (static_cast<int64_t>(bytes.size()) % kCifarRecord != 0) {
      throw InputError(path + ": size " + std::to_string(bytes.size()) + " is not a whole number of 3073-byte " +
                       "CIFAR-10 records (truncated file?)");
    }
    const int64_t n = static_cast<int64_t>(bytes.size()) / kCifarRecord;
    const auto records = bytes_tensor(bytes, 0, {n, kCifarRecord});  // (n, 3073)
    labels.push_back(records.select(1, 0).to(at::kLong));            // (n)
    pixels.push_back(records.slice(1, 1).reshape({n, kCifarChannels, kCifarSide, kCifarSide}).contiguous());
    check_labels(labels.back(), 10, path);
  }
  if (pixels.empty()) throw InputError("data: no CIFAR-10 batch files given");
  return {at::cat(pixels), at::cat(labels), 10};
}

}  // namespace ssa::data
