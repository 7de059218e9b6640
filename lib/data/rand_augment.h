// timm's RandAugment as the Swin recipe uses it ("rand-m9-mstd0.5-inc1"): per image, `layers`
// operations drawn uniformly with replacement from the 15 "increasing" ops, each applied with
// probability 1/2 at a magnitude drawn from N(magnitude, magnitude_std) clipped to [0, 10].
// Images are (3, H, W) uint8 tensors; every op follows PIL's arithmetic (ImageOps, ImageEnhance,
// Image.transform with AFFINE), which tests/scripts/rand_augment_crosscheck.py checks against PIL.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

#include "lib/core/splitmix.h"
#include "lib/data/data_config.h"

namespace ssa::data {

// timm's _RAND_INCREASING_TRANSFORMS, in its order.
enum class AugmentOp {
  kAutoContrast,
  kEqualize,
  kInvert,
  kRotate,
  kPosterize,
  kSolarize,
  kSolarizeAdd,
  kColor,
  kContrast,
  kBrightness,
  kSharpness,
  kShearX,
  kShearY,
  kTranslateX,
  kTranslateY
};
inline constexpr int kAugmentOpCount = 15;
inline constexpr double kMaxAugmentLevel = 10.0;  // timm's _LEVEL_DENOM

// The op's timm name ("Rotate", "PosterizeIncreasing", "TranslateXRel", ...).
std::string augment_op_name(AugmentOp op);

// Whether timm negates the op's argument at random: rotate, shear, translate and the four
// enhancements.
bool augment_op_is_signed(AugmentOp op);

// Applies `op` at `level` in [0, 10] to a (3, H, W) uint8 image; `negate` flips the sign of the
// signed ops (rotate, shear, translate and the four enhancements; timm draws it at random).
// Geometric ops fill uncovered pixels with timm's ImageNet-mean grey (124, 116, 104).
at::Tensor apply_augment_op(const at::Tensor& image, AugmentOp op, double level, bool negate, Interpolation mode);

// PIL's Image.transform(AFFINE, matrix): output pixel (x, y) samples the input at
// (m0 x' + m1 y' + m2, m3 x' + m4 y' + m5) with x' = x + 0.5, y' = y + 0.5.
at::Tensor affine_warp(const at::Tensor& image, const std::array<double, 6>& matrix, Interpolation mode);

// One RandAugment draw on a (3, H, W) uint8 image (config.layers ops; none when 0).
at::Tensor rand_augment(const at::Tensor& image, const RandAugmentConfig& config, Interpolation mode, SplitMix64& rng);

}  // namespace ssa::data
