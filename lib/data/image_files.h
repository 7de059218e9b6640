// Readers for image datasets in their distributed file formats, all into one in-memory ImageSet:
// MNIST-style idx files (Fashion-MNIST; plain or gzipped) and CIFAR-10 binary batches. Every
// problem (missing, truncated, wrong magic, label out of range) is one InputError naming the file.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

namespace ssa::data {

struct ImageSet {
  at::Tensor pixels;  // (N, C, H, W) uint8
  at::Tensor labels;  // (N) int64 in [0, classes)
  int64_t classes = 0;
};

// An idx3 image file and its idx1 label file (e.g. train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz).
ImageSet read_idx_images(const std::string& images_path, const std::string& labels_path, int64_t classes);

// CIFAR-10 binary batches: records of 1 label byte + 3 x 32 x 32 planar RGB bytes, concatenated in order.
ImageSet read_cifar10_batches(const std::vector<std::string>& paths);

}  // namespace ssa::data
