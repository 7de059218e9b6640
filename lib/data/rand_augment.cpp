// RandAugment ops with PIL's arithmetic (see rand_augment.h). Lookup-table ops work on the raw
// uint8 planes; enhancements blend with a degenerate image as ImageEnhance does; geometric ops
// sample like PIL's affine transform (pixel centres, clamped neighbours, truncation to uint8).
#include "lib/data/rand_augment.h"

#include <algorithm>
#include <cmath>
#include <functional>

#include <ATen/ATen.h>

namespace ssa::data {
namespace {

using Lut = std::array<uint8_t, 256>;
constexpr std::array<uint8_t, 3> kFill = {124, 116, 104};  // timm's _FILL: round(255 * ImageNet mean)

uint8_t clip_truncate(double v) {  // PIL's float -> UINT8 for filters, blends and transforms
  if (v <= 0.0) return 0;
  if (v >= 255.0) return 255;
  return static_cast<uint8_t>(v);
}

Lut make_lut(const std::function<int64_t(int64_t)>& f) {
  Lut lut{};
  for (int64_t i = 0; i < 256; ++i)
    lut[static_cast<size_t>(i)] = static_cast<uint8_t>(std::clamp<int64_t>(f(i), 0, 255));
  return lut;
}

// Maps every channel c of a (3, H, W) uint8 image through luts[c].
at::Tensor apply_luts(const at::Tensor& image, const std::array<Lut, 3>& luts) {
  auto out = image.contiguous().clone();
  const int64_t plane = out.size(1) * out.size(2);
  uint8_t* p = out.data_ptr<uint8_t>();
  for (int64_t c = 0; c < 3; ++c) {
    for (int64_t i = 0; i < plane; ++i) p[c * plane + i] = luts[c][p[c * plane + i]];
  }
  return out;
}

at::Tensor apply_lut(const at::Tensor& image, const Lut& lut) { return apply_luts(image, {lut, lut, lut}); }

// Per-channel luts built from each channel's 256-bin histogram.
at::Tensor apply_histogram_luts(const at::Tensor& image, const std::function<Lut(const std::array<int64_t, 256>&)>& f) {
  const auto src = image.contiguous();
  const int64_t plane = src.size(1) * src.size(2);
  const uint8_t* p = src.data_ptr<uint8_t>();
  std::array<Lut, 3> luts{};
  for (int64_t c = 0; c < 3; ++c) {
    std::array<int64_t, 256> histogram{};
    for (int64_t i = 0; i < plane; ++i) ++histogram[p[c * plane + i]];
    luts[static_cast<size_t>(c)] = f(histogram);
  }
  return apply_luts(src, luts);
}

// ImageOps.autocontrast(cutoff=0): the occupied range [lo, hi] stretched to [0, 255].
Lut autocontrast_lut(const std::array<int64_t, 256>& h) {
  int64_t lo = 0, hi = 255;
  while (lo < 255 && h[static_cast<size_t>(lo)] == 0) ++lo;
  while (hi > 0 && h[static_cast<size_t>(hi)] == 0) --hi;
  if (hi <= lo) return make_lut([](int64_t i) { return i; });
  const double scale = 255.0 / static_cast<double>(hi - lo), offset = -static_cast<double>(lo) * scale;
  return make_lut([=](int64_t i) { return static_cast<int64_t>(static_cast<double>(i) * scale + offset); });
}

// ImageOps.equalize: cumulative histogram in steps of (pixels - last occupied bin) / 255.
Lut equalize_lut(const std::array<int64_t, 256>& h) {
  int64_t total = 0, last = 0, occupied = 0;
  for (const int64_t count : h) {
    if (count == 0) continue;
    total += count;
    last = count;
    ++occupied;
  }
  const int64_t step = (total - last) / 255;
  if (occupied <= 1 || step == 0) return make_lut([](int64_t i) { return i; });
  Lut lut{};
  int64_t n = step / 2;
  for (size_t i = 0; i < 256; ++i) {
    lut[i] = static_cast<uint8_t>(std::min<int64_t>(255, n / step));
    n += h[i];
  }
  return lut;
}

// ITU-R 601-2 luma as PIL's convert("L"): (19595 R + 38470 G + 7471 B + 2^15) >> 16; (H, W) int32.
at::Tensor luma(const at::Tensor& image) {
  const auto x = image.to(at::kInt);
  return (x[0] * 19595 + x[1] * 38470 + x[2] * 7471 + 32768).div(65536, "floor");
}

// Image.blend(degenerate, image, factor), clipped and truncated to uint8.
at::Tensor blend(const at::Tensor& degenerate, const at::Tensor& image, double factor) {
  const auto d = degenerate.to(at::kFloat).expand_as(image);
  const auto mixed = d + static_cast<float>(factor) * (image.to(at::kFloat) - d);
  return mixed.clamp(0.0, 255.0).floor().to(at::kByte);
}

// ImageFilter.SMOOTH: [[1, 1, 1], [1, 5, 1], [1, 1, 1]] / 13 inside, border pixels unchanged.
at::Tensor smooth(const at::Tensor& image) {
  const int64_t h = image.size(1), w = image.size(2);
  auto out = image.clone();
  if (h < 3 || w < 3) return out;
  const auto x = image.to(at::kFloat);
  auto sum = 4.0 * x.slice(1, 1, h - 1).slice(2, 1, w - 1);  // the centre's extra weight (5 = 1 + 4)
  for (int64_t dy = 0; dy < 3; ++dy) {
    for (int64_t dx = 0; dx < 3; ++dx) sum = sum + x.slice(1, dy, h - 2 + dy).slice(2, dx, w - 2 + dx);
  }
  out.slice(1, 1, h - 1).slice(2, 1, w - 1).copy_((sum / 13.0 + 0.5).clamp(0.0, 255.0).floor().to(at::kByte));
  return out;
}

// PIL's bicubic kernel (Geometry.c BICUBIC) through four samples at offset d in [0, 1).
double cubic(double v1, double v2, double v3, double v4, double d) {
  const double p2 = -v1 + v3, p3 = 2 * (v1 - v2) + v3 - v4, p4 = -v1 + v2 - v3 + v4;
  return v2 + d * (p2 + d * (p3 + d * p4));
}

// One channel sampled at (x, y) in pixel-index coordinates, neighbours clamped to the image.
double sample(const uint8_t* p, int64_t h, int64_t w, double x, double y, Interpolation mode) {
  const auto at = [&](int64_t i, int64_t j) {
    return static_cast<double>(p[std::clamp<int64_t>(j, 0, h - 1) * w + std::clamp<int64_t>(i, 0, w - 1)]);
  };
  const auto x0 = static_cast<int64_t>(std::floor(x)), y0 = static_cast<int64_t>(std::floor(y));
  const double dx = x - static_cast<double>(x0), dy = y - static_cast<double>(y0);
  if (mode == Interpolation::kBilinear) {
    const double top = at(x0, y0) + (at(x0 + 1, y0) - at(x0, y0)) * dx;
    const double bottom = at(x0, y0 + 1) + (at(x0 + 1, y0 + 1) - at(x0, y0 + 1)) * dx;
    return top + (bottom - top) * dy;
  }
  std::array<double, 4> rows{};
  for (int64_t r = 0; r < 4; ++r) {
    const int64_t j = y0 - 1 + r;
    rows[static_cast<size_t>(r)] = cubic(at(x0 - 1, j), at(x0, j), at(x0 + 1, j), at(x0 + 2, j), dx);
  }
  return cubic(rows[0], rows[1], rows[2], rows[3], dy);
}

// Image.rotate(degrees) about the centre, counter-clockwise, same size.
std::array<double, 6> rotation_matrix(double degrees, int64_t h, int64_t w) {
  const double angle = -degrees * M_PI / 180.0, cx = static_cast<double>(w) / 2.0, cy = static_cast<double>(h) / 2.0;
  const double a = std::cos(angle), b = std::sin(angle), d = -std::sin(angle), e = std::cos(angle);
  return {a, b, a * -cx + b * -cy + cx, d, e, d * -cx + e * -cy + cy};
}

// N(mean, std) from two uniforms (Box-Muller).
double gaussian(double mean, double std, SplitMix64& rng) {
  const double u1 = rng.uniform(), u2 = rng.uniform();
  return mean + std * std::sqrt(-2.0 * std::log(1.0 - u1)) * std::cos(2.0 * M_PI * u2);
}

}  // namespace

std::string augment_op_name(AugmentOp op) {
  static const std::array<const char*, kAugmentOpCount> names = {"AutoContrast",
                                                                 "Equalize",
                                                                 "Invert",
                                                                 "Rotate",
                                                                 "PosterizeIncreasing",
                                                                 "SolarizeIncreasing",
                                                                 "SolarizeAdd",
                                                                 "ColorIncreasing",
                                                                 "ContrastIncreasing",
                                                                 "BrightnessIncreasing",
                                                                 "SharpnessIncreasing",
                                                                 "ShearX",
                                                                 "ShearY",
                                                                 "TranslateXRel",
                                                                 "TranslateYRel"};
  return names.at(static_cast<size_t>(op));
}

bool augment_op_is_signed(AugmentOp op) {
  switch (op) {
    case AugmentOp::kRotate:
    case AugmentOp::kColor:
    case AugmentOp::kContrast:
    case AugmentOp::kBrightness:
    case AugmentOp::kSharpness:
    case AugmentOp::kShearX:
    case AugmentOp::kShearY:
    case AugmentOp::kTranslateX:
    case AugmentOp::kTranslateY: return true;
    default: return false;
  }
}

at::Tensor affine_warp(const at::Tensor& image, const std::array<double, 6>& m, Interpolation mode) {
  const auto src = image.contiguous();
  const int64_t h = src.size(1), w = src.size(2), plane = h * w;
  auto out = at::empty_like(src);
  const uint8_t* in = src.data_ptr<uint8_t>();
  uint8_t* o = out.data_ptr<uint8_t>();
  for (int64_t y = 0; y < h; ++y) {
    for (int64_t x = 0; x < w; ++x) {
      const double xc = static_cast<double>(x) + 0.5, yc = static_cast<double>(y) + 0.5;
      const double xs = m[0] * xc + m[1] * yc + m[2], ys = m[3] * xc + m[4] * yc + m[5];
      const bool inside = xs >= 0 && xs < static_cast<double>(w) && ys >= 0 && ys < static_cast<double>(h);
      for (int64_t c = 0; c < 3; ++c) {
        o[c * plane + y * w + x] = inside ? clip_truncate(sample(in + c * plane, h, w, xs - 0.5, ys - 0.5, mode))
                                          : kFill[static_cast<size_t>(c)];
      }
    }
  }
  return out;
}

at::Tensor apply_augment_op(const at::Tensor& image, AugmentOp op, double level, bool negate, Interpolation mode) {
  const double f = level / kMaxAugmentLevel;
  const double sign = negate ? -1.0 : 1.0;
  const double enhance = 1.0 + sign * f * 0.9;  // the *Increasing enhancements: factor in [0.1, 1.9]
  const int64_t h = image.size(1), w = image.size(2);
  switch (op) {
    case AugmentOp::kAutoContrast: return apply_histogram_luts(image, autocontrast_lut);
    case AugmentOp::kEqualize: return apply_histogram_luts(image, equalize_lut);
    case AugmentOp::kInvert: return apply_lut(image, make_lut([](int64_t i) { return 255 - i; }));
    case AugmentOp::kRotate: return affine_warp(image, rotation_matrix(sign * f * 30.0, h, w), mode);
    case AugmentOp::kPosterize: {
      const auto bits = 4 - static_cast<int64_t>(f * 4);  // bits kept
      const int64_t mask = ~((int64_t{1} << (8 - bits)) - 1);
      return apply_lut(image, make_lut([=](int64_t i) { return i & mask; }));
    }
    case AugmentOp::kSolarize: {
      const auto threshold = 256 - static_cast<int64_t>(f * 256);
      return apply_lut(image, make_lut([=](int64_t i) { return i < threshold ? i : 255 - i; }));
    }
    case AugmentOp::kSolarizeAdd: {
      const auto add = static_cast<int64_t>(f * 110);
      return apply_lut(image, make_lut([=](int64_t i) { return i < 128 ? std::min<int64_t>(255, i + add) : i; }));
    }
    case AugmentOp::kColor: return blend(luma(image).unsqueeze(0), image, enhance);
    case AugmentOp::kContrast: {
      const auto mean = static_cast<int64_t>(luma(image).to(at::kDouble).mean().item<double>() + 0.5);
      return blend(at::full({1, 1, 1}, mean, at::kFloat), image, enhance);
    }
    case AugmentOp::kBrightness: return blend(at::zeros({1, 1, 1}, at::kFloat), image, enhance);
    case AugmentOp::kSharpness: return blend(smooth(image), image, enhance);
    case AugmentOp::kShearX: return affine_warp(image, {1, sign * f * 0.3, 0, 0, 1, 0}, mode);
    case AugmentOp::kShearY: return affine_warp(image, {1, 0, 0, sign * f * 0.3, 1, 0}, mode);
    case AugmentOp::kTranslateX:
      return affine_warp(image, {1, 0, sign * f * 0.45 * static_cast<double>(w), 0, 1, 0}, mode);
    case AugmentOp::kTranslateY:
      return affine_warp(image, {1, 0, 0, 0, 1, sign * f * 0.45 * static_cast<double>(h)}, mode);
  }
  return image;
}

at::Tensor rand_augment(const at::Tensor& image, const RandAugmentConfig& config, Interpolation mode, SplitMix64& rng) {
  std::vector<AugmentOp> ops;
  for (int64_t l = 0; l < config.layers; ++l) ops.push_back(static_cast<AugmentOp>(rng.below(kAugmentOpCount)));
  at::Tensor out = image;
  for (const AugmentOp op : ops) {
    if (rng.uniform() > config.probability) continue;
    double level = config.magnitude;
    if (config.magnitude_std > 0) level = gaussian(level, config.magnitude_std, rng);
    level = std::clamp(level, 0.0, kMaxAugmentLevel);
    const bool negate = augment_op_is_signed(op) && rng.uniform() > 0.5;
    out = apply_augment_op(out, op, level, negate, mode);
  }
  return out;
}

}  // namespace ssa::data
