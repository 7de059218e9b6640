// Split files (see molecule_split_file.h).
#include "lib/data/molecule_split_file.h"

#include <cstdlib>
#include <sstream>
#include <vector>

#include <ATen/ATen.h>
#include <torch/serialize.h>

#include "lib/core/error.h"
#include "lib/core/input_file.h"

namespace ssa::data {
namespace {

std::vector<char> as_vector(const std::string& bytes) { return std::vector<char>(bytes.begin(), bytes.end()); }

std::string numpy_hint(const std::string& path) {
  return path +
         ": holds numpy arrays (OGB's original), which LibTorch cannot read; convert it once with\n"
         "  python3 -c \"import torch; d = torch.load('" +
         path +
         "'); "
         "torch.save({k: torch.as_tensor(v) for k, v in d.items()}, '" +
         path +
         ".tensors.pt')\"\n"
         "and set split_path to " +
         path + ".tensors.pt";
}

std::vector<int64_t> index_list(const at::IValue& value, const std::string& path, const std::string& name) {
  if (!value.isTensor()) throw InputError(path + ": split '" + name + "' is not a tensor");
  const at::Tensor t = value.toTensor();
  if (at::isFloatingType(t.scalar_type()) || t.scalar_type() == at::kBool) {
    throw InputError(path + ": split '" + name + "' holds " + std::string(c10::toString(t.scalar_type())) +
                     ", expected integer indices");
  }
  const at::Tensor flat = t.to(at::kLong).reshape({-1}).contiguous();
  const int64_t* p = flat.data_ptr<int64_t>();
  return std::vector<int64_t>(p, p + flat.numel());
}

IndexSplits read_torch_splits(const std::string& path) {
  at::IValue value;
  try {
    value = torch::pickle_load(as_vector(read_input_file(path)));
  } catch (const c10::Error& e) {
    if (std::string(e.what()).find("numpy") != std::string::npos) throw InputError(numpy_hint(path));
    throw InputError(path + ": not a torch.save'd dict of index tensors (" + first_line(e) + ")");
  }
  if (!value.isGenericDict()) throw InputError(path + ": expected a dict of index tensors, found " + value.tagKind());
  IndexSplits splits;
  for (const auto& entry : value.toGenericDict()) {
    if (!entry.key().isString()) throw InputError(path + ": dict keys must be split names (strings)");
    const std::string name = entry.key().toStringRef();
    splits[name] = index_list(entry.value(), path, name);
  }
  return splits;
}

// "name,index" lines; a first line whose index is not a number is a header.
IndexSplits read_text_splits(const std::string& path) {
  std::istringstream in(read_input_file(path));
  IndexSplits splits;
  std::string line;
  bool first = true;
  for (int64_t number = 1; std::getline(in, line); ++number) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    const size_t comma = line.find(',');
    const std::string index_text = comma == std::string::npos ? "" : line.substr(comma + 1);
    char* end = nullptr;
    const long long index = std::strtoll(index_text.c_str(), &end, 10);
    const bool numeric = !index_text.empty() && *end == '\0' && index >= 0;
    if (!numeric && first) {
      first = false;
      continue;  // header
    }
    first = false;
    if (!numeric)
      throw InputError(path + ":" + std::to_string(number) + ": expected 'split,index', got '" + line + "'");
    splits[line.substr(0, comma)].push_back(index);
  }
  if (splits.empty()) throw InputError(path + ": no 'split,index' lines");
  return splits;
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

IndexSplits read_split_file(const std::string& path) {
  return ends_with(path, ".pt") ? read_torch_splits(path) : read_text_splits(path);
}

}  // namespace ssa::data
