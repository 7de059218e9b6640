// The ImageNet folder layout (torchvision's ImageFolder): ROOT/<split>/<class directory>/**/*.JPEG.
// Classes are the sorted directory names of the training split; every split labels its images
// with that class list. Scanning only lists files: decoding happens per batch (jpeg_decode.h).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace ssa::data {

struct ImageFolderIndex {
  std::vector<std::string> classes;  // sorted class directory names; label = position
  std::vector<std::string> paths;    // sorted by (label, path)
  std::vector<int64_t> labels;       // one per path
};

// The sorted class directory names of `split_dir`; InputError when it is missing or has none.
std::vector<std::string> folder_classes(const std::string& split_dir);

// Every .jpg / .jpeg file (any case) under split_dir/<class>/, labelled by `classes`. A class
// directory that is not in `classes`, or a split without images, is an InputError.
ImageFolderIndex scan_image_folder(const std::string& split_dir, const std::vector<std::string>& classes);

}  // namespace ssa::data
