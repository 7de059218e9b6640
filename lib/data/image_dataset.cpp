// Image classification and pixel-sequence batches (see image_dataset.h).
#include "lib/data/image_dataset.h"

#include <algorithm>
#include <cmath>
#include <random>

#include <ATen/ATen.h>
#include <fmt/format.h>

#include "lib/data/distribution_augment.h"

namespace ssa::data {
namespace {

at::Tensor gather_images(const ImageSet& images, const std::vector<int64_t>& indices) {
  return images.pixels.index_select(0, at::tensor(indices, at::kLong));  // (B, C, H, W) uint8
}

double beta_sample(std::mt19937_64& rng, double alpha) {
  std::gamma_distribution<double> gamma(alpha, 1.0);
  const double a = gamma(rng), b = gamma(rng);
  return a / (a + b);
}

// Zero-pad by `padding` and crop back at a random offset, per image. x: (B, C, H, W).
at::Tensor random_crop(const at::Tensor& x, int64_t padding, std::mt19937_64& rng) {
  const int64_t h = x.size(2), w = x.size(3);
  const auto padded = at::constant_pad_nd(x, {padding, padding, padding, padding}, 0.0);
  std::uniform_int_distribution<int64_t> offset(0, 2 * padding);
  std::vector<at::Tensor> crops;
  for (int64_t i = 0; i < x.size(0); ++i) {
    const int64_t top = offset(rng), left = offset(rng);
    crops.push_back(padded[i].slice(1, top, top + h).slice(2, left, left + w));
  }
  return at::stack(crops);
}

// Mirror each image left-right with probability 1/2. x: (B, C, H, W).
at::Tensor random_flip(const at::Tensor& x, std::mt19937_64& rng) {
  std::vector<uint8_t> flips;
  for (int64_t i = 0; i < x.size(0); ++i) flips.push_back(static_cast<uint8_t>(rng() & 1u));
  const auto mask = at::tensor(flips, at::kByte).to(at::kBool).view({-1, 1, 1, 1});
  return at::where(mask, x.flip({3}), x);
}

// timm's Mixup in 'batch' mode: one lambda per batch, mixing image i with image B-1-i; mixup or
// cutmix (chosen with probability 1/2 when both are on). x: (B, C, H, W), y: (B, K) soft labels.
void mix_batch(at::Tensor& x, at::Tensor& y, const ImageAugmentConfig& a, std::mt19937_64& rng) {
  const bool use_cutmix = a.cutmix_alpha > 0 && (a.mixup_alpha <= 0 || (rng() & 1u));
  double lam = beta_sample(rng, use_cutmix ? a.cutmix_alpha : a.mixup_alpha);
  const auto partner = x.flip({0});
  if (use_cutmix) {
    const int64_t h = x.size(2), w = x.size(3);
    const double cut = std::sqrt(1.0 - lam);
    const auto ch = static_cast<int64_t>(static_cast<double>(h) * cut),
               cw = static_cast<int64_t>(static_cast<double>(w) * cut);
    std::uniform_int_distribution<int64_t> cy(0, h - 1), cx(0, w - 1);
    const int64_t yc = cy(rng), xc = cx(rng);
    const int64_t y0 = std::clamp<int64_t>(yc - ch / 2, 0, h), y1 = std::clamp<int64_t>(yc + ch / 2, 0, h);
    const int64_t x0 = std::clamp<int64_t>(xc - cw / 2, 0, w), x1 = std::clamp<int64_t>(xc + cw / 2, 0, w);
    x = x.clone();
    x.slice(2, y0, y1).slice(3, x0, x1).copy_(partner.slice(2, y0, y1).slice(3, x0, x1));
    lam = 1.0 - static_cast<double>((y1 - y0) * (x1 - x0)) / static_cast<double>(h * w);  // the area actually kept
  } else {
    x = x * lam + partner * (1.0 - lam);
  }
  y = y * lam + y.flip({0}) * (1.0 - lam);
}

}  // namespace

Batch mixed_training_batch(at::Tensor x, const at::Tensor& labels, int64_t classes, const ImageAugmentConfig& augment,
                           std::mt19937_64& rng) {
  const bool mixing = augment.mixup_alpha > 0 || augment.cutmix_alpha > 0;
  if (!mixing && augment.label_smoothing <= 0) return {x, labels};
  const double eps = augment.label_smoothing;
  auto soft = at::one_hot(labels, classes).to(at::kFloat) * (1.0 - eps) + eps / static_cast<double>(classes);  // (B, K)
  if (mixing) mix_batch(x, soft, augment, rng);
  return {x, soft};
}

ChannelStats channel_stats(const at::Tensor& pixels) {
  const auto x = pixels.to(at::kFloat).div(255.0).transpose(0, 1).reshape({pixels.size(1), -1});  // (C, N*H*W)
  return {x.mean(1), x.std(1)};
}

ImageClassificationDataset::ImageClassificationDataset(ImageSet images, ChannelStats stats, ImageAugmentConfig augment)
    : images_(std::move(images)), stats_(std::move(stats)), augment_(augment) {}

Batch ImageClassificationDataset::batch(const std::vector<int64_t>& indices, std::optional<uint64_t> augment_seed) const {
  auto x = gather_images(images_, indices).to(at::kFloat).div(255.0);  // (B, C, H, W) in [0, 1]
  x = (x - stats_.mean.view({1, -1, 1, 1})) / stats_.std.view({1, -1, 1, 1});
  auto labels = images_.labels.index_select(0, at::tensor(indices, at::kLong));  // (B)
  if (!augment_seed) return {x, labels};
  std::mt19937_64 rng(*augment_seed);
  if (augment_.crop_padding > 0) x = random_crop(x, augment_.crop_padding, rng);
  if (augment_.flip) x = random_flip(x, rng);
  return mixed_training_batch(x, labels, images_.classes, augment_, rng);
}

std::string ImageClassificationDataset::describe() const {
  const auto& p = images_.pixels;
  return fmt::format("{} images {}x{}x{}, {} classes", p.size(0), p.size(2), p.size(3), p.size(1), images_.classes);
}

PixelSequenceDataset::PixelSequenceDataset(ImageSet images, DistAugConfig distaug)
    : images_(std::move(images)), distaug_(distaug) {
  const auto& p = images_.pixels;
  check_distaug_geometry(distaug_, p.size(1), p.size(2), p.size(3));
}

int64_t PixelSequenceDataset::sequence_length() const {
  return images_.pixels.size(1) * images_.pixels.size(2) * images_.pixels.size(3);
}

Batch PixelSequenceDataset::batch(const std::vector<int64_t>& indices, std::optional<uint64_t> augment_seed) const {
  auto images = gather_images(images_, indices);  // (B, C, H, W)
  at::Tensor condition;
  if (augment_seed && !distaug_families(distaug_).empty()) {
    std::mt19937_64 rng(*augment_seed);
    condition = draw_distaug_ids(distaug_, images.size(0), rng);  // (B, F)
    std::vector<at::Tensor> transformed;
    for (int64_t i = 0; i < images.size(0); ++i) {
      transformed.push_back(distaug_transform(images[i], distaug_, condition[i]));
    }
    images = at::stack(transformed);
  }
  const auto target = images.permute({0, 2, 3, 1}).reshape({images.size(0), -1}).to(at::kLong);  // (B, T) raster sub-pixels
  const auto begin = at::full({images.size(0), 1}, kBeginToken, at::kLong);
  const auto input = at::cat({begin, target.slice(1, 0, -1)}, 1);  // (B, T)
  Batch b{input, target};
  b.condition = condition;
  return b;
}

std::string PixelSequenceDataset::describe() const {
  const auto& p = images_.pixels;
  std::string distaug;
  for (const auto& family : distaug_families(distaug_)) {
    distaug += (distaug.empty() ? ", DistAug " : " x ") + family.name + " (" + std::to_string(family.ids) + ")";
  }
  return fmt::format("{} images {}x{}x{} as {}-sub-pixel sequences{}", p.size(0), p.size(2), p.size(3), p.size(1),
                     sequence_length(), distaug);
}

}  // namespace ssa::data
