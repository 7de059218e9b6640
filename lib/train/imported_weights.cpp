// Dispatch between the outside formats (see imported_weights.h).
#include "lib/train/imported_weights.h"

#include "lib/train/hf_directory.h"
#include "lib/train/hf_import.h"
#include "lib/train/torchvision_format.h"

namespace ssa::train {

bool is_imported_checkpoint(const std::string& path) { return is_hf_directory(path) || is_torchvision_file(path); }

void import_weights(const std::string& path, models::Model& model) {
  if (is_hf_directory(path)) return import_hf_weights(path, model);
  import_torchvision_weights(path, model);
}

}  // namespace ssa::train
