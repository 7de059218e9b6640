// libjpeg encoder and folder generator for tests (see jpeg_writer.h).
#include "tests/support/jpeg_writer.h"

#include <cstdio>
#include <filesystem>
#include <stdexcept>

#include <jpeglib.h>

#include <ATen/ATen.h>

namespace ssa::test {

void write_jpeg(const std::string& path, const at::Tensor& image, int quality) {
  const auto hwc = image.permute({1, 2, 0}).contiguous();  // (H, W, C)
  FILE* file = std::fopen(path.c_str(), "wb");
  if (!file) throw std::runtime_error(path + ": cannot write");
  jpeg_compress_struct info{};
  jpeg_error_mgr errors{};
  info.err = jpeg_std_error(&errors);
  jpeg_create_compress(&info);
  jpeg_stdio_dest(&info, file);
  info.image_height = static_cast<JDIMENSION>(hwc.size(0));
  info.image_width = static_cast<JDIMENSION>(hwc.size(1));
  info.input_components = static_cast<int>(hwc.size(2));
  info.in_color_space = hwc.size(2) == 1 ? JCS_GRAYSCALE : hwc.size(2) == 4 ? JCS_CMYK : JCS_RGB;
  jpeg_set_defaults(&info);
  jpeg_set_quality(&info, quality, TRUE);
  jpeg_start_compress(&info, TRUE);
  auto* data = hwc.data_ptr<uint8_t>();
  const auto stride = static_cast<size_t>(hwc.size(1) * hwc.size(2));
  while (info.next_scanline < info.image_height) {
    JSAMPROW row = data + info.next_scanline * stride;
    jpeg_write_scanlines(&info, &row, 1);
  }
  jpeg_finish_compress(&info);
  jpeg_destroy_compress(&info);
  std::fclose(file);
}

at::Tensor colour_image(int64_t h, int64_t w, const std::vector<int>& rgb, int ramp) {
  const auto rows = at::linspace(-ramp, ramp, h, at::kFloat).view({1, h, 1});
  const auto cols = at::linspace(-ramp, ramp, w, at::kFloat).view({1, 1, w});
  const auto base = at::tensor(std::vector<float>(rgb.begin(), rgb.end()), at::kFloat).view({3, 1, 1});
  return (base + (rows + cols) / 2).round().clamp(0, 255).to(at::kByte);  // (3, h, w)
}

void write_image_folder(const std::string& root, const std::vector<std::string>& classes, int64_t per_class,
                        int64_t val_per_class, int64_t side) {
  namespace fs = std::filesystem;
  const std::vector<std::vector<int>> colours = {{220, 40, 40}, {40, 200, 60}, {50, 60, 220}, {200, 200, 40}};
  for (size_t c = 0; c < classes.size(); ++c) {
    for (const auto& [split, count] : {std::pair<std::string, int64_t>{"train", per_class}, {"val", val_per_class}}) {
      const fs::path dir = fs::path(root) / split / classes[c];
      fs::create_directories(dir);
      for (int64_t i = 0; i < count; ++i) {
        const auto image = colour_image(side + (i % 3) * 6, side + (i % 2) * 12, colours[c % colours.size()]);
        write_jpeg((dir / ("img_" + std::to_string(i) + ".JPEG")).string(), image);
      }
    }
  }
}

}  // namespace ssa::test
