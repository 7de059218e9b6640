// JPEG files to RGB pixels with libjpeg (Debian's libjpeg62-turbo). The only file that includes
// jpeglib.h; grayscale, YCbCr and CMYK/YCCK JPEGs all come back as RGB. A missing, truncated or
// corrupt file is one InputError naming it.
#pragma once
#include <string>

#include <ATen/core/Tensor.h>

namespace ssa::data {

// The image in `path` as (3, H, W) uint8 RGB.
at::Tensor decode_jpeg_file(const std::string& path);

}  // namespace ssa::data
