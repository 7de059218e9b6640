// RandomResizedCrop, the evaluation crop and ImageNet normalisation (see image_transforms.h).
#include "lib/data/image_transforms.h"

#include <algorithm>
#include <cmath>

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <torch/nn/functional/upsampling.h>

namespace ssa::data {
namespace {

constexpr int kCropAttempts = 10;  // torchvision's, and timm's random erasing

double uniform(double lo, double hi, SplitMix64& rng) { return lo + (hi - lo) * rng.uniform(); }

// Python's round(): halves go to the even neighbour (the default rounding mode of llrint).
int64_t round_to_int(double x) { return static_cast<int64_t>(std::llrint(x)); }

}  // namespace

CropBox sample_resized_crop_box(int64_t h, int64_t w, const CropRange& range, SplitMix64& rng) {
  const double area = static_cast<double>(h * w);
  const double log_lo = std::log(range.min_ratio), log_hi = std::log(range.max_ratio);
  for (int attempt = 0; attempt < kCropAttempts; ++attempt) {
    const double target = area * uniform(range.min_scale, range.max_scale, rng);
    const double ratio = std::exp(uniform(log_lo, log_hi, rng));
    const int64_t cw = round_to_int(std::sqrt(target * ratio)), ch = round_to_int(std::sqrt(target / ratio));
    if (cw > 0 && cw <= w && ch > 0 && ch <= h) {
      const auto top = static_cast<int64_t>(rng.below(static_cast<uint64_t>(h - ch + 1)));
      const auto left = static_cast<int64_t>(rng.below(static_cast<uint64_t>(w - cw + 1)));
      return {top, left, ch, cw};
    }
  }
  // Fallback: the whole image, narrowed to the nearest allowed aspect ratio, centred.
  const double in_ratio = static_cast<double>(w) / static_cast<double>(h);
  int64_t cw = w, ch = h;
  if (in_ratio < range.min_ratio) ch = round_to_int(static_cast<double>(w) / range.min_ratio);
  if (in_ratio > range.max_ratio) cw = round_to_int(static_cast<double>(h) * range.max_ratio);
  return {(h - ch) / 2, (w - cw) / 2, ch, cw};
}

CropBox center_box(int64_t h, int64_t w, int64_t height, int64_t width) {
  const auto top = round_to_int(static_cast<double>(h - height) / 2.0);
  const auto left = round_to_int(static_cast<double>(w - width) / 2.0);
  return {top, left, height, width};
}

std::pair<int64_t, int64_t> shorter_side_size(int64_t h, int64_t w, int64_t side) {
  if (h <= w) return {side, side * w / h};
  return {side * h / w, side};
}

at::Tensor crop_and_resize(const at::Tensor& image, const CropBox& box, int64_t height, int64_t width,
                           Interpolation mode) {
  namespace F = torch::nn::functional;
  const auto crop = image.slice(1, box.top, box.top + box.height).slice(2, box.left, box.left + box.width);
  const auto x = crop.unsqueeze(0).to(at::kFloat);  // (1, 3, h, w)
  if (box.height == height && box.width == width) return x.squeeze(0);
  F::InterpolateFuncOptions::mode_t kind = torch::kBilinear;
  if (mode == Interpolation::kBicubic) kind = torch::kBicubic;
  const auto options =
      F::InterpolateFuncOptions().size(std::vector<int64_t>{height, width}).mode(kind).align_corners(false).antialias(true);
  return F::interpolate(x, options).squeeze(0).clamp_(0.0, 255.0);  // (3, height, width); bicubic overshoots
}

at::Tensor train_view(const at::Tensor& image, int64_t side, const CropRange& range, bool flip, Interpolation mode,
                      SplitMix64& rng) {
  const auto box = sample_resized_crop_box(image.size(1), image.size(2), range, rng);
  auto view = crop_and_resize(image, box, side, side, mode);  // (3, side, side)
  if (flip && (rng.next() & 1u)) view = view.flip({2});
  return view;
}

at::Tensor eval_view(const at::Tensor& image, int64_t side, double crop_fraction, Interpolation mode) {
  const auto resize_side = static_cast<int64_t>(std::floor(static_cast<double>(side) / crop_fraction));
  const auto [h, w] = shorter_side_size(image.size(1), image.size(2), resize_side);
  const CropBox whole{0, 0, image.size(1), image.size(2)};
  const auto resized = crop_and_resize(image, whole, h, w, mode);  // (3, h, w)
  const auto box = center_box(h, w, side, side);
  return resized.slice(1, box.top, box.top + side).slice(2, box.left, box.left + side);
}

void random_erase_(at::Tensor& image, double probability, SplitMix64& rng) {
  if (rng.uniform() > probability) return;
  const int64_t h = image.size(1), w = image.size(2);
  const double area = static_cast<double>(h * w);
  constexpr double kMinArea = 0.02, kMaxArea = 1.0 / 3.0, kMinAspect = 0.3;
  for (int attempt = 0; attempt < kCropAttempts; ++attempt) {
    const double target = uniform(kMinArea, kMaxArea, rng) * area;
    const double aspect = std::exp(uniform(std::log(kMinAspect), std::log(1.0 / kMinAspect), rng));
    const int64_t eh = round_to_int(std::sqrt(target * aspect)), ew = round_to_int(std::sqrt(target / aspect));
    if (ew >= w || eh >= h) continue;
    const auto top = static_cast<int64_t>(rng.below(static_cast<uint64_t>(h - eh + 1)));
    const auto left = static_cast<int64_t>(rng.below(static_cast<uint64_t>(w - ew + 1)));
    const auto noise = at::randn({3, eh, ew}, at::detail::createCPUGenerator(rng.next()), image.scalar_type());
    image.slice(1, top, top + eh).slice(2, left, left + ew).copy_(noise);
    return;
  }
}

at::Tensor imagenet_normalize(const at::Tensor& x) {
  const auto mean = at::tensor({0.485, 0.456, 0.406}, at::kFloat).view({3, 1, 1});
  const auto std = at::tensor({0.229, 0.224, 0.225}, at::kFloat).view({3, 1, 1});
  return (x / 255.0 - mean) / std;
}

}  // namespace ssa::data
