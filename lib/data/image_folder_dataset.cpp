// JPEG folder batches (see image_folder_dataset.h).
#include "lib/data/image_folder_dataset.h"

#include <random>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <fmt/format.h>

#include "lib/data/image_dataset.h"
#include "lib/data/image_transforms.h"
#include "lib/data/jpeg_decode.h"
#include "lib/data/rand_augment.h"

namespace ssa::data {

ImageFolderDataset::ImageFolderDataset(ImageFolderIndex index, int64_t side, const DataConfig& config)
    : index_(std::move(index)),
      side_(side),
      augment_(config.augment),
      eval_crop_fraction_(config.eval_crop_fraction),
      interpolation_(config.interpolation) {}

at::Tensor ImageFolderDataset::view(int64_t position, int64_t index, std::optional<uint64_t> augment_seed) const {
  const auto image = decode_jpeg_file(index_.paths.at(static_cast<size_t>(index)));  // (3, H, W) uint8
  if (!augment_seed) return imagenet_normalize(eval_view(image, side_, eval_crop_fraction_, interpolation_));
  const auto& a = augment_;
  const CropRange range{a.resized_crop_min_scale, 1.0, 1.0 / a.resized_crop_max_ratio, a.resized_crop_max_ratio};
  SplitMix64 rng(mix_seed(mix_seed(*augment_seed, static_cast<uint64_t>(position)), static_cast<uint64_t>(index)));
  auto x = train_view(image, side_, range, a.flip, interpolation_, rng);  // (3, side, side) in [0, 255]
  if (a.rand_augment.layers > 0) {  // on the uint8 image, as timm does on the PIL one
    x = rand_augment(x.round().to(at::kByte), a.rand_augment, interpolation_, rng).to(at::kFloat);
  }
  x = imagenet_normalize(x);
  if (a.random_erasing > 0) random_erase_(x, a.random_erasing, rng);
  return x;
}

Batch ImageFolderDataset::batch(const std::vector<int64_t>& indices, std::optional<uint64_t> augment_seed) const {
  const auto b = static_cast<int64_t>(indices.size());
  auto x = at::empty({b, 3, side_, side_}, at::kFloat);  // (B, 3, side, side), normalised
  at::parallel_for(0, b, 1, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) x[i].copy_(view(i, indices[static_cast<size_t>(i)], augment_seed));
  });
  std::vector<int64_t> labels;
  for (const int64_t i : indices) labels.push_back(index_.labels.at(static_cast<size_t>(i)));
  const auto y = at::tensor(labels, at::kLong);  // (B)
  if (!augment_seed) return {x, y};
  std::mt19937_64 rng(*augment_seed);
  return mixed_training_batch(x, y, classes(), augment_, rng);
}

std::string ImageFolderDataset::describe() const {
  return fmt::format("{} JPEG images as {}x{}x3, {} classes", size(), side_, side_, classes());
}

}  // namespace ssa::data
