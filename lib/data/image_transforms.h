// Per-image transforms of the Swin/timm ImageNet recipe on decoded (3, H, W) uint8 images:
// RandomResizedCrop (torchvision's box sampler: 10 attempts, then a central crop) with a flip for
// training, shorter-side resize and a central crop for evaluation, ImageNet normalisation, and
// random erasing (RandAugment, which runs between crop and normalisation, is in rand_augment.h).
#pragma once
#include <cstdint>
#include <utility>

#include <ATen/core/Tensor.h>

#include "lib/core/splitmix.h"
#include "lib/data/data_config.h"

namespace ssa::data {

struct CropBox {
  int64_t top = 0, left = 0, height = 0, width = 0;
};

struct CropRange {
  double min_scale = 0.08, max_scale = 1.0;             // share of the image area
  double min_ratio = 3.0 / 4.0, max_ratio = 4.0 / 3.0;  // width / height, drawn log-uniformly
};

// torchvision RandomResizedCrop.get_params for an h x w image.
CropBox sample_resized_crop_box(int64_t h, int64_t w, const CropRange& range, SplitMix64& rng);

// The central height x width box of an h x w image (torchvision CenterCrop's rounding).
CropBox center_box(int64_t h, int64_t w, int64_t height, int64_t width);

// The (height, width) that makes the shorter side `side`, the longer one scaled and truncated
// (torchvision Resize(int)).
std::pair<int64_t, int64_t> shorter_side_size(int64_t h, int64_t w, int64_t side);

// `image` (3, H, W) uint8 cut to `box` and resized (antialiased) to height x width: (3, height,
// width) float in [0, 255].
at::Tensor crop_and_resize(const at::Tensor& image, const CropBox& box, int64_t height, int64_t width,
                           Interpolation mode);

// Training view: random resized crop to side x side, flipped with probability 1/2 when `flip`.
at::Tensor train_view(const at::Tensor& image, int64_t side, const CropRange& range, bool flip, Interpolation mode,
                      SplitMix64& rng);

// Evaluation view: shorter side to floor(side / crop_fraction), then the central side x side.
at::Tensor eval_view(const at::Tensor& image, int64_t side, double crop_fraction, Interpolation mode);

// timm's RandomErasing(mode="pixel", count 1) on a normalised (3, H, W) float image, in place:
// with `probability`, a box of 2% to 1/3 of the area with aspect ratio log-uniform in [0.3, 1/0.3]
// (10 tries to fit) is overwritten with N(0, 1) noise per pixel and channel.
void random_erase_(at::Tensor& image, double probability, SplitMix64& rng);

// (x / 255 - mean) / std with the ImageNet channel statistics; x (..., 3, H, W) float in [0, 255].
at::Tensor imagenet_normalize(const at::Tensor& x);

}  // namespace ssa::data
