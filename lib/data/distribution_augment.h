// Distribution Augmentation (Jun et al. 2020, "Distribution Augmentation for Generative
// Modeling"; openai/distribution_augmentation) for pixel generation: a training image is
// transformed by one id per enabled family and the model is conditioned on the ids, so it learns
// the augmented distributions without mixing them into the data distribution. Id 0 of every
// family is the identity; evaluation uses all-identity. Definitions follow the DistAug code:
// rotate k = np.rot90(image, k, axes=(1, 0)) (clockwise), colour n = the n-th permutation of
// (R, G, B) in itertools order, transpose = rows <-> columns, reverse = half turn, jigsaw n = the
// n-th permutation of the four quadrants (row-major) in itertools order, new quadrant t = old
// quadrant perm[t]. Families apply in the order rotate, colour, transpose, reverse, jigsaw.
#pragma once
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

#include "lib/data/data_config.h"

namespace ssa::data {

struct DistAugFamily {
  std::string name;  // the config key under data.augment.distaug
  int64_t ids = 0;   // how many transforms, identity included
};

// The enabled families in application order; empty when DistAug is off.
std::vector<DistAugFamily> distaug_families(const DistAugConfig& config);

// Throws ConfigError naming the data.augment.distaug key an image of `channels` x `height` x
// `width` cannot take (rotate/transpose need square images, jigsaw even sides, colour 3 channels).
void check_distaug_geometry(const DistAugConfig& config, int64_t channels, int64_t height, int64_t width);

// image: (C, H, W); ids: (F) int64, one per enabled family in distaug_families() order -> (C, H, W).
at::Tensor distaug_transform(const at::Tensor& image, const DistAugConfig& config, const at::Tensor& ids);

// Uniform ids for `batch` images: (batch, F) int64, F = the number of enabled families.
at::Tensor draw_distaug_ids(const DistAugConfig& config, int64_t batch, std::mt19937_64& rng);

}  // namespace ssa::data
