// ImageNet-style classification from JPEG folders: the index lives in memory, every batch decodes
// its files (in parallel over the batch) and applies the per-image transforms of
// image_transforms.h, then the batch-level mixing and label smoothing of image_dataset.h.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "lib/data/data_config.h"
#include "lib/data/dataset.h"
#include "lib/data/image_folder.h"

namespace ssa::data {

class ImageFolderDataset : public Dataset {
 public:
  // Views are side x side (the model's image_size); data.augment, data.eval_crop_fraction and
  // data.interpolation come from `config`.
  ImageFolderDataset(ImageFolderIndex index, int64_t side, const DataConfig& config);
  int64_t size() const override { return static_cast<int64_t>(index_.paths.size()); }
  // input (B, 3, side, side) float, ImageNet-normalised: the training view when augment_seed is
  // set (each image's crop, flip, RandAugment ops and erased box drawn from the seed, its position
  // and its index), the evaluation view otherwise. target (B) int64, or (B, K) soft labels as in image_dataset.h.
  Batch batch(const std::vector<int64_t>& indices, std::optional<uint64_t> augment_seed) const override;
  std::string describe() const override;
  int64_t classes() const { return static_cast<int64_t>(index_.classes.size()); }

 private:
  // One image's (3, side, side) normalised view.
  at::Tensor view(int64_t position, int64_t index, std::optional<uint64_t> augment_seed) const;

  ImageFolderIndex index_;
  int64_t side_;
  ImageAugmentConfig augment_;
  double eval_crop_fraction_;
  Interpolation interpolation_;
};

}  // namespace ssa::data
