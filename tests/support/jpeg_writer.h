// Test-only JPEG encoding with libjpeg and a generator of small ImageNet-style folders, so the
// image-folder tests read real files in the real layout.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

namespace ssa::test {

// Writes `image` (C, H, W) uint8 as a baseline JPEG: C = 1 grayscale, 3 RGB, or 4 CMYK (values as
// Adobe stores them, 255 = no ink).
void write_jpeg(const std::string& path, const at::Tensor& image, int quality = 95);

// (3, h, w) uint8: the colour `rgb` plus a gentle diagonal ramp of +-`ramp` levels.
at::Tensor colour_image(int64_t h, int64_t w, const std::vector<int>& rgb, int ramp = 20);

// root/{train,val}/<class>/img_<i>.JPEG with `per_class` training and `val_per_class` validation
// images per class; class c has its own colour, sides vary between side and side + 12.
void write_image_folder(const std::string& root, const std::vector<std::string>& classes, int64_t per_class,
                        int64_t val_per_class, int64_t side);

}  // namespace ssa::test
