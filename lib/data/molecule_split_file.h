// Named index splits of a molecule table, such as PCQM4Mv2's split_dict.pt
// ({"train": tensor, "valid": tensor, "test-dev": ..., "test-challenge": ...}).
// Two formats: a torch.save'd dict of integer tensors (read with torch::pickle_load), or a text
// file of "split,index" lines. OGB's own split_dict.pt holds numpy arrays, which LibTorch cannot
// unpickle; the error for it gives the one-line Python conversion to either format.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace ssa::data {

using IndexSplits = std::map<std::string, std::vector<int64_t>>;

// Reads `path` by its extension: ".pt" as a torch-saved dict, anything else as "split,index"
// text (header line and '#' comments allowed). Throws InputError naming the file (and line).
IndexSplits read_split_file(const std::string& path);

}  // namespace ssa::data
