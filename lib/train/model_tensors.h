// A model's parameters and buffers as named tensors, and the one-line comparison of stored
// tensors with them that every weight loader reports (checkpoints, Hugging Face imports).
#pragma once
#include <map>
#include <string>
#include <vector>

#include "lib/train/safetensors.h"
#include "models/model.h"

namespace ssa::train {

// Parameters, then buffers, under their module paths ("blocks.0.attn.qkv.weight").
std::vector<NamedTensor> model_tensors(models::Model& model);

// Every way `stored` differs from `targets`, name for name and shape for shape, as one line
// ("2 missing (a; b), 1 of another shape (c: [4] here, [8] in the model)"); "" when they match.
std::string model_mismatch(const std::vector<NamedTensor>& targets, const std::map<std::string, at::Tensor>& stored);

// Copies stored[t.name] into each target (converting the dtype), without autograd. The caller
// has checked model_mismatch.
void copy_into(const std::vector<NamedTensor>& targets, const std::map<std::string, at::Tensor>& stored);

}  // namespace ssa::train
