// Image datasets over an in-memory ImageSet: classification batches (normalised floats with the
// Swin/timm training transforms) and pixel-generation batches (sub-pixel token sequences).
#pragma once
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "lib/data/data_config.h"
#include "lib/data/dataset.h"
#include "lib/data/image_files.h"

namespace ssa::data {

// Per-channel mean and standard deviation of the pixels scaled to [0, 1]: (C) float each.
struct ChannelStats {
  at::Tensor mean, std;
};
ChannelStats channel_stats(const at::Tensor& pixels);

// The batch-level end of the training transforms: labels (B) become soft targets (B, K) with
// label smoothing, then mixup or cutmix mixes x (B, C, H, W) and the targets (timm's batch mode).
// With all three off the batch keeps its integer labels.
Batch mixed_training_batch(at::Tensor x, const at::Tensor& labels, int64_t classes, const ImageAugmentConfig& augment,
                           std::mt19937_64& rng);

class ImageClassificationDataset : public Dataset {
 public:
  // `stats` normalises the pixels (computed on the training split, shared with validation).
  ImageClassificationDataset(ImageSet images, ChannelStats stats, ImageAugmentConfig augment);
  int64_t size() const override { return images_.pixels.size(0); }
  // input (B, C, H, W) float; target (B) int64, or (B, K) float soft labels when mixup, cutmix or
  // label smoothing are on and augment_seed is set.
  Batch batch(const std::vector<int64_t>& indices, std::optional<uint64_t> augment_seed) const override;
  std::string describe() const override;

 private:
  ImageSet images_;
  ChannelStats stats_;
  ImageAugmentConfig augment_;
};

// Autoregressive image modelling: an image becomes its sub-pixels in raster (row, column, channel)
// order, T = H * W * C tokens in [0, 256). The input starts with the begin-of-image token 256.
// With DistAug on, training images are transformed first and the batch carries their ids.
class PixelSequenceDataset : public Dataset {
 public:
  static constexpr int64_t kBeginToken = 256;
  static constexpr int64_t kVocabulary = 257;

  explicit PixelSequenceDataset(ImageSet images, DistAugConfig distaug = {});
  int64_t size() const override { return images_.pixels.size(0); }
  // input (B, T) int64 = [256, x_0 .. x_{T-2}]; target (B, T) int64 = [x_0 .. x_{T-1}];
  // condition (B, F) int64 DistAug ids when augment_seed is set and DistAug is on.
  Batch batch(const std::vector<int64_t>& indices, std::optional<uint64_t> augment_seed) const override;
  std::string describe() const override;
  int64_t sequence_length() const;

 private:
  ImageSet images_;
  DistAugConfig distaug_;
};

}  // namespace ssa::data
