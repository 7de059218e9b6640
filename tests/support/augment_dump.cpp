// Writes every RandAugment op of lib/data/rand_augment.h applied to one raw image, for the PIL
// cross-check (tests/scripts/rand_augment_crosscheck.py). Usage:
//   ssa_augment_dump IN.rgb HEIGHT WIDTH OUT_DIR
// IN.rgb holds HEIGHT x WIDTH x 3 bytes (row-major RGB, as PIL's tobytes()); each output is
// OUT_DIR/<op>_<level>_<sign>_<filter>.rgb in the same layout, for levels 0, 3, 7.5 and 10, signs
// "pos" / "neg" (signed ops only) and filters "bilinear" / "bicubic" (geometric ops only).
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <ATen/ATen.h>

#include "lib/data/rand_augment.h"

namespace {

using ssa::data::AugmentOp;
using ssa::data::Interpolation;

bool is_geometric(AugmentOp op) {
  return op == AugmentOp::kRotate || op == AugmentOp::kShearX || op == AugmentOp::kShearY ||
         op == AugmentOp::kTranslateX || op == AugmentOp::kTranslateY;
}

void write_hwc(const std::string& path, const at::Tensor& chw) {
  const auto hwc = chw.permute({1, 2, 0}).contiguous();  // (H, W, 3)
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(hwc.data_ptr<uint8_t>()), static_cast<std::streamsize>(hwc.numel()));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: %s IN.rgb HEIGHT WIDTH OUT_DIR\n", argv[0]);
    return 2;
  }
  const int64_t h = std::stoll(argv[2]), w = std::stoll(argv[3]);
  const std::string out_dir = argv[4];
  std::ifstream in(argv[1], std::ios::binary);
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (static_cast<int64_t>(bytes.size()) != h * w * 3) {
    std::fprintf(stderr, "%s: %zu bytes, expected %lld\n", argv[1], bytes.size(), static_cast<long long>(h * w * 3));
    return 2;
  }
  const auto image = at::from_blob(bytes.data(), {h, w, 3}, at::kByte).permute({2, 0, 1}).contiguous();  // (3, H, W)
  for (int k = 0; k < ssa::data::kAugmentOpCount; ++k) {
    const auto op = static_cast<AugmentOp>(k);
    for (const std::string level : {"0", "3", "7.5", "10"}) {
      for (const bool negate : {false, true}) {
        if (negate && !ssa::data::augment_op_is_signed(op)) continue;
        for (const auto mode : {Interpolation::kBilinear, Interpolation::kBicubic}) {
          if (mode == Interpolation::kBicubic && !is_geometric(op)) continue;
          const auto out = ssa::data::apply_augment_op(image, op, std::stod(level), negate, mode);
          write_hwc(out_dir + "/" + ssa::data::augment_op_name(op) + "_" + level + "_" + (negate ? "neg" : "pos") +
                        "_" + (mode == Interpolation::kBicubic ? "bicubic" : "bilinear") + ".rgb",
                    out);
        }
      }
    }
  }
  return 0;
}
