// Which data to train on and how it becomes batches. Plain data with the defaults; no YAML here
// (lib/config reads it).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "lib/core/batch.h"
#include "lib/data/molecule_config.h"

namespace ssa::data {

enum class DatasetKind {
  kText,          // token streams from train_paths / valid_paths
  kFashionMnist,  // idx files in `root` (Debian dataset-fashion-mnist)
  kCifar10,       // CIFAR-10 binary batches in `root`
  kImageNet,      // JPEG folders root/train/<class>/ and root/val/<class>/ (torchvision ImageFolder)
  kMolecules,     // SMILES with a regression target (models/egt)
};

// The image datasets read whole into memory (fashion_mnist, cifar10), as opposed to imagenet's folders.
inline bool in_memory_images(DatasetKind kind) {
  return kind == DatasetKind::kFashionMnist || kind == DatasetKind::kCifar10;
}

enum class TokenFormat {
  kBytes,   // any file; each byte is a token (vocab 256)
  kUint16,  // pre-tokenized little-endian uint16 ids
  kUint32,  // pre-tokenized little-endian uint32 ids
};

constexpr int64_t bytes_per_token(TokenFormat f) {
  return f == TokenFormat::kUint32 ? 4 : f == TokenFormat::kUint16 ? 2 : 1;
}

enum class Interpolation { kBilinear, kBicubic };

// imagenet: timm's RandAugment over its 15 "increasing" ops (lib/data/rand_augment.h); the Swin
// recipe's "rand-m9-mstd0.5-inc1" is layers 2, magnitude 9, magnitude_std 0.5.
struct RandAugmentConfig {
  int64_t layers = 0;          // ops drawn per image (with replacement); 0 = off
  double magnitude = 9.0;      // in [0, 10]
  double magnitude_std = 0.5;  // per op, the magnitude is drawn from N(magnitude, std), clipped; 0 = fixed
  double probability = 0.5;    // each drawn op is applied with this probability
};

// Pixel generation: Distribution Augmentation (Jun et al. 2020; lib/data/distribution_augment.h).
// Each enabled family draws a transform id per training image, uniformly; the model is told the
// ids (model.conditions) and evaluation uses the identity. Families apply in this order.
struct DistAugConfig {
  bool rotate = false;     // 4 ids: k quarter turns clockwise
  bool colour = false;     // 6 ids: permutations of the RGB channels
  bool transpose = false;  // 2 ids: swap rows and columns
  bool reverse = false;    // 2 ids: half turn
  bool jigsaw = false;     // 24 ids: permutations of the 2 x 2 quadrants
};

// Training-time image transforms (Swin's recipe, scaled to small images). Off in evaluation.
struct ImageAugmentConfig {
  bool flip = true;          // mirror left-right with probability 1/2
  int64_t crop_padding = 0;  // random crop after zero-padding each side by this many pixels
  // imagenet: RandomResizedCrop draws a box of this share of the image area or more (up to all)
  // with an aspect ratio log-uniform in [1 / max_ratio, max_ratio], and resizes it to the model's side.
  double resized_crop_min_scale = 0.08;
  double resized_crop_max_ratio = 4.0 / 3.0;
  double mixup_alpha = 0.0;      // Beta(alpha, alpha) mixing of image pairs; 0 = off
  double cutmix_alpha = 0.0;     // Beta(alpha, alpha) box pasting; 0 = off (both on: 50/50 per batch)
  double label_smoothing = 0.0;  // epsilon spread over all classes
  // imagenet, after the crop and flip, in timm's order: RandAugment on the uint8 image, then
  // normalisation, then random erasing (this probability; one box, N(0, 1) noise per pixel).
  RandAugmentConfig rand_augment;
  double random_erasing = 0.0;
  DistAugConfig distaug;  // pixel generation only (the classification transforms above do not apply there)
};

struct DataConfig {
  DatasetKind dataset = DatasetKind::kText;
  // Text:
  TokenFormat format = TokenFormat::kBytes;
  std::vector<std::string> train_paths;  // required for text; concatenated in order
  std::vector<std::string> valid_paths;  // optional; if empty, the tail of the train stream
  double valid_fraction = 0.05;          // used only when valid_paths is empty
  int64_t seq_len = 256;                 // T: tokens per training sequence (pixel generation: H*W*C)
  // Images:
  std::string root = "/usr/share/datasets/fashion-mnist";  // directory holding the dataset's files
  ImageAugmentConfig augment;
  int64_t train_images = 0;  // fashion_mnist, cifar10: train on the first N images only; 0 = all
  // imagenet (the side is model.image_size): evaluation resizes the shorter side to
  // side / eval_crop_fraction and takes the central side x side crop (timm's crop_pct).
  double eval_crop_fraction = 0.875;
  Interpolation interpolation = Interpolation::kBicubic;  // imagenet resizing, antialiased
  // Molecules:
  MoleculeDataConfig molecules;
  bool prefetch = true;  // the next step's training batches are built while this one computes
};

}  // namespace ssa::data
