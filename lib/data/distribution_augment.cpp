// DistAug transforms and id draws (see distribution_augment.h).
#include "lib/data/distribution_augment.h"

#include <algorithm>
#include <numeric>

#include <ATen/ATen.h>

#include "lib/core/error.h"

namespace ssa::data {
namespace {

// The `index`-th permutation of 0..n-1 in lexicographic (itertools.permutations) order.
std::vector<int64_t> nth_permutation(int64_t n, int64_t index) {
  std::vector<int64_t> perm(static_cast<size_t>(n));
  std::iota(perm.begin(), perm.end(), 0);
  for (int64_t i = 0; i < index; ++i) std::next_permutation(perm.begin(), perm.end());
  return perm;
}

// image (C, H, W): k quarter turns clockwise, np.rot90(hwc, k, axes=(1, 0)).
at::Tensor rotate_clockwise(const at::Tensor& image, int64_t k) { return at::rot90(image, k, {2, 1}); }

at::Tensor permute_channels(const at::Tensor& image, int64_t id) {
  return image.index_select(0, at::tensor(nth_permutation(3, id), at::kLong));  // new[c] = old[perm[c]]
}

// New quadrant t (row-major) is old quadrant perm[t]. image: (C, H, W) with even H and W.
at::Tensor permute_quadrants(const at::Tensor& image, int64_t id) {
  const int64_t h = image.size(1) / 2, w = image.size(2) / 2;
  const auto quadrant = [&](int64_t t) {
    return image.slice(1, (t / 2) * h, (t / 2 + 1) * h).slice(2, (t % 2) * w, (t % 2 + 1) * w);  // (C, H/2, W/2)
  };
  const auto perm = nth_permutation(4, id);
  const auto top = at::cat({quadrant(perm[0]), quadrant(perm[1])}, 2);
  const auto bottom = at::cat({quadrant(perm[2]), quadrant(perm[3])}, 2);
  return at::cat({top, bottom}, 1);
}

}  // namespace

std::vector<DistAugFamily> distaug_families(const DistAugConfig& config) {
  std::vector<DistAugFamily> families;
  if (config.rotate) families.push_back({"rotate", 4});
  if (config.colour) families.push_back({"colour", 6});
  if (config.transpose) families.push_back({"transpose", 2});
  if (config.reverse) families.push_back({"reverse", 2});
  if (config.jigsaw) families.push_back({"jigsaw", 24});
  return families;
}

void check_distaug_geometry(const DistAugConfig& config, int64_t channels, int64_t height, int64_t width) {
  const std::string shape = std::to_string(height) + "x" + std::to_string(width) + "x" + std::to_string(channels);
  if ((config.rotate || config.transpose) && height != width) {
    throw ConfigError(std::string("data.augment.distaug.") + (config.rotate ? "rotate" : "transpose") +
                      ": needs square images, these are " + shape);
  }
  if (config.jigsaw && (height % 2 != 0 || width % 2 != 0)) {
    throw ConfigError("data.augment.distaug.jigsaw: needs an even height and width to cut quadrants, these are " + shape);
  }
  if (config.colour && channels != 3) {
    throw ConfigError("data.augment.distaug.colour: permutes 3 colour channels, these images are " + shape);
  }
}

at::Tensor distaug_transform(const at::Tensor& image, const DistAugConfig& config, const at::Tensor& ids) {
  int64_t f = 0;
  const auto next_id = [&] { return ids[f++].item<int64_t>(); };
  at::Tensor x = image;  // (C, H, W)
  if (config.rotate) x = rotate_clockwise(x, next_id());
  if (config.colour) x = permute_channels(x, next_id());
  if (config.transpose && next_id() == 1) x = x.transpose(1, 2);
  if (config.reverse && next_id() == 1) x = rotate_clockwise(x, 2);
  if (config.jigsaw) x = permute_quadrants(x, next_id());
  return x.contiguous();  // (C, H, W)
}

at::Tensor draw_distaug_ids(const DistAugConfig& config, int64_t batch, std::mt19937_64& rng) {
  const auto families = distaug_families(config);
  std::vector<int64_t> ids;
  for (int64_t i = 0; i < batch; ++i) {
    for (const auto& family : families) ids.push_back(std::uniform_int_distribution<int64_t>(0, family.ids - 1)(rng));
  }
  return at::tensor(ids, at::kLong).view({batch, static_cast<int64_t>(families.size())});  // (B, F)
}

}  // namespace ssa::data
