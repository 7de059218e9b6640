// Weights written by other programs, wherever a checkpoint is accepted (run.init_from, eval,
// sample and export --checkpoint): a Hugging Face LLaMA directory (hf_import.h) or a torchvision
// ViT / Swin file (torchvision_format.h).
#pragma once
#include <string>

#include "models/model.h"

namespace ssa::train {

// True for a Hugging Face LLaMA directory or a .safetensors file with a torchvision JSON beside it.
bool is_imported_checkpoint(const std::string& path);

// Loads one into `model`, checked whole first (exit 2 for a mismatch, 3 for a damaged file).
void import_weights(const std::string& path, models::Model& model);

}  // namespace ssa::train
