// libjpeg decoding with an error manager that throws (see jpeg_decode.h).
#include "lib/data/jpeg_decode.h"

#include <cstdio>
#include <cstring>
#include <cerrno>
#include <csetjmp>
#include <memory>

#include <jpeglib.h>
#include <jerror.h>

#include <ATen/ATen.h>

#include "lib/core/error.h"

namespace ssa::data {
namespace {

// libjpeg reports errors through error_exit, which must not return. Unwinding through libjpeg's
// C frames is avoided with setjmp/longjmp: error_exit keeps the message and jumps back.
struct ErrorManager {
  jpeg_error_mgr base;
  jmp_buf escape;
  char message[JMSG_LENGTH_MAX];
};

void error_exit(j_common_ptr info) {
  auto* manager = reinterpret_cast<ErrorManager*>(info->err);
  info->err->format_message(info, manager->message);
  longjmp(manager->escape, 1);
}

// A file that ends early is an error; other warnings (extraneous bytes before a marker, which a
// few ImageNet files have) are ignored, as PIL does.
void emit_message(j_common_ptr info, int level) {
  if (level < 0 && info->err->msg_code == JWRN_JPEG_EOF) error_exit(info);
}

// Interleaved CMYK (Adobe JPEGs store it inverted) -> RGB: r = c * k / 255 on the stored values.
void cmyk_to_rgb(const uint8_t* cmyk, uint8_t* rgb, JDIMENSION width) {
  for (JDIMENSION x = 0; x < width; ++x, cmyk += 4, rgb += 3) {
    for (int ch = 0; ch < 3; ++ch) rgb[ch] = static_cast<uint8_t>((cmyk[ch] * cmyk[3] + 127) / 255);
  }
}

struct FileCloser {
  void operator()(FILE* f) const { std::fclose(f); }
};

// Decodes into `out` as (H, W, 3); returns false with the message in `errors` on a libjpeg error.
// No object with a destructor lives in this frame (the row buffer is libjpeg's pool memory), so
// a longjmp out of libjpeg skips none.
bool decode(FILE* file, jpeg_decompress_struct& info, ErrorManager& errors, at::Tensor& out) {
  if (setjmp(errors.escape)) return false;
  jpeg_stdio_src(&info, file);
  jpeg_read_header(&info, TRUE);
  const bool cmyk = info.jpeg_color_space == JCS_CMYK || info.jpeg_color_space == JCS_YCCK;
  info.out_color_space = cmyk ? JCS_CMYK : JCS_RGB;  // libjpeg expands grayscale to RGB itself
  jpeg_start_decompress(&info);
  out = at::empty({info.output_height, info.output_width, 3}, at::kByte);
  JSAMPARRAY row = (*info.mem->alloc_sarray)(reinterpret_cast<j_common_ptr>(&info), JPOOL_IMAGE,
                                             info.output_width * static_cast<JDIMENSION>(info.output_components), 1);
  uint8_t* dst = out.data_ptr<uint8_t>();
  while (info.output_scanline < info.output_height) {
    jpeg_read_scanlines(&info, row, 1);
    if (cmyk)
      cmyk_to_rgb(row[0], dst, info.output_width);
    else
      std::memcpy(dst, row[0], static_cast<size_t>(info.output_width) * 3);
    dst += static_cast<size_t>(info.output_width) * 3;
  }
  jpeg_finish_decompress(&info);
  return true;
}

}  // namespace

at::Tensor decode_jpeg_file(const std::string& path) {
  std::unique_ptr<FILE, FileCloser> file(std::fopen(path.c_str(), "rb"));
  if (!file) throw InputError(path + ": cannot open (" + std::strerror(errno) + ")");
  jpeg_decompress_struct info{};
  ErrorManager errors{};
  info.err = jpeg_std_error(&errors.base);
  errors.base.error_exit = error_exit;
  errors.base.emit_message = emit_message;
  jpeg_create_decompress(&info);
  at::Tensor hwc;
  const bool ok = decode(file.get(), info, errors, hwc);
  jpeg_destroy_decompress(&info);
  if (!ok) throw InputError(path + ": not a readable JPEG (" + errors.message + "); truncated or corrupt file?");
  return hwc.permute({2, 0, 1}).contiguous();  // (3, H, W)
}

}  // namespace ssa::data
