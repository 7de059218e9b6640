// Listing an ImageNet-style folder into a sorted (path, label) index (see image_folder.h).
#include "lib/data/image_folder.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <map>

#include "lib/core/error.h"

namespace ssa::data {
namespace {

namespace fs = std::filesystem;

bool is_jpeg_name(const fs::path& path) {
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return ext == ".jpg" || ext == ".jpeg";
}

// Sorted JPEG files anywhere under `dir` (symbolic links followed, as torchvision does).
std::vector<std::string> jpeg_files(const fs::path& dir) {
  std::vector<std::string> files;
  for (const auto& entry : fs::recursive_directory_iterator(dir, fs::directory_options::follow_directory_symlink)) {
    if (entry.is_regular_file() && is_jpeg_name(entry.path())) files.push_back(entry.path().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

InputError listing_error(const fs::filesystem_error& e) {
  return InputError(e.path1().string() + ": cannot list (" + e.code().message() + ")");
}

}  // namespace

std::vector<std::string> folder_classes(const std::string& split_dir) {
  std::error_code ec;
  if (!fs::is_directory(split_dir, ec)) throw InputError(split_dir + ": no such directory");
  std::vector<std::string> classes;
  try {
    for (const auto& entry : fs::directory_iterator(split_dir)) {
      if (entry.is_directory()) classes.push_back(entry.path().filename().string());
    }
  } catch (const fs::filesystem_error& e) {
    throw listing_error(e);
  }
  if (classes.empty()) throw InputError(split_dir + ": holds no class directories (expected <split>/<class>/*.JPEG)");
  std::sort(classes.begin(), classes.end());
  return classes;
}

ImageFolderIndex scan_image_folder(const std::string& split_dir, const std::vector<std::string>& classes) {
  std::map<std::string, int64_t> label_of;
  for (size_t i = 0; i < classes.size(); ++i) label_of[classes[i]] = static_cast<int64_t>(i);
  ImageFolderIndex index;
  index.classes = classes;
  try {
    for (const auto& name : folder_classes(split_dir)) {
      const auto label = label_of.find(name);
      if (label == label_of.end()) {
        throw InputError(split_dir + "/" + name + ": class directory is not among the " +
                         std::to_string(classes.size()) + " training classes");
      }
      for (auto& path : jpeg_files(fs::path(split_dir) / name)) {
        index.paths.push_back(std::move(path));
        index.labels.push_back(label->second);
      }
    }
  } catch (const fs::filesystem_error& e) {
    throw listing_error(e);
  }
  if (index.paths.empty()) throw InputError(split_dir + ": holds no .jpg or .jpeg files");
  return index;
}

}  // namespace ssa::data
