// The registration list of the model zoo: one line per family, each defined in its own folder
// (models/<family>/<family>_family.cpp). The first is model.type's default.
#include "models/model_registry.h"

namespace ssa::models {

RegisteredFamily decoder_family();
RegisteredFamily swin_family();
RegisteredFamily egt_family();
RegisteredFamily vit_family();

const std::vector<RegisteredFamily>& model_families() {
  static const std::vector<RegisteredFamily> families = {decoder_family(), swin_family(), egt_family(), vit_family()};
  return families;
}

}  // namespace ssa::models
