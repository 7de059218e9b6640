// Named model tensors and their comparison (see model_tensors.h).
#include "lib/train/model_tensors.h"

#include <algorithm>
#include <set>

#include <torch/csrc/autograd/grad_mode.h>

namespace ssa::train {
namespace {

// "4 missing (a; b; c; ...)": a count and the first few items.
std::string counted(const std::vector<std::string>& items, const std::string& what) {
  constexpr size_t kShown = 3;
  std::string shown;
  for (size_t i = 0; i < std::min(items.size(), kShown); ++i) shown += (i ? "; " : "") + items[i];
  return std::to_string(items.size()) + " " + what + " (" + shown + (items.size() > kShown ? "; ..." : "") + ")";
}

}  // namespace

std::vector<NamedTensor> model_tensors(models::Model& model) {
  std::vector<NamedTensor> out;
  for (const auto& p : model.named_parameters()) out.push_back({p.key(), p.value()});
  for (const auto& b : model.named_buffers()) out.push_back({b.key(), b.value()});
  return out;
}

std::string model_mismatch(const std::vector<NamedTensor>& targets, const std::map<std::string, at::Tensor>& stored) {
  std::vector<std::string> missing, reshaped, unexpected;
  std::set<std::string> known;
  for (const auto& target : targets) {
    known.insert(target.name);
    const auto it = stored.find(target.name);
    if (it == stored.end()) {
      missing.push_back(target.name);
    } else if (it->second.sizes() != target.tensor.sizes()) {
      reshaped.push_back(target.name + ": " + c10::str(it->second.sizes()) + " here, " +
                         c10::str(target.tensor.sizes()) + " in the model");
    }
  }
  for (const auto& [name, tensor] : stored) {
    if (known.count(name) == 0) unexpected.push_back(name);
  }
  std::string problems;
  if (!missing.empty()) problems += counted(missing, "missing");
  if (!reshaped.empty()) problems += (problems.empty() ? "" : ", ") + counted(reshaped, "of another shape");
  if (!unexpected.empty()) problems += (problems.empty() ? "" : ", ") + counted(unexpected, "not in the model");
  return problems;
}

void copy_into(const std::vector<NamedTensor>& targets, const std::map<std::string, at::Tensor>& stored) {
  torch::NoGradGuard no_grad;
  for (const auto& target : targets) target.tensor.copy_(stored.at(target.name));
}

}  // namespace ssa::train
