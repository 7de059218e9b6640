// A Hugging Face model directory on disk: config.json, model.safetensors or shards
// model-0000i-of-0000K.safetensors with model.safetensors.index.json ({"metadata": {"total_size"},
// "weight_map": {tensor: file}}), and optional tokenizer files. Written whole under a temporary
// name and renamed, so a failed export leaves nothing; read with every file and index entry checked.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "lib/train/safetensors.h"

namespace ssa::train {

// A file written as is beside the weights (config.json, tokenizer.model, ...).
struct ExtraFile {
  std::string name;
  std::string bytes;
};

// "5GB", "500MB", "2GiB", "100KB", or bytes: Hugging Face's max_shard_size spellings (KB, MB,
// GB = 10^3, 10^6, 10^9; KiB, MiB, GiB = 2^10, 2^20, 2^30). ConfigError naming --max-shard-size.
int64_t parse_shard_size(const std::string& text);

// ConfigError naming --out when `dir` exists (export writes a new directory).
void check_new_directory(const std::string& dir);

// Writes `dir` (which must not exist: check_new_directory): the tensors in one model.safetensors when their bytes fit
// max_shard_bytes, else in shards filled in order (a tensor larger than the limit alone in its
// shard, as transformers does), plus `files`. ConfigError when `dir` exists; Error(kIo) on a
// write failure, after removing what was written.
void write_hf_directory(const std::string& dir, const std::vector<NamedTensor>& tensors, int64_t max_shard_bytes,
                        const std::vector<ExtraFile>& files);

// True when `path` is a directory holding config.json and model.safetensors or its index.
bool is_hf_directory(const std::string& path);

// Every tensor of the directory's model.safetensors, or of the shards its index names, checksums
// verified where present. InputError (exit 3) for a missing, truncated or malformed file, an
// index naming a file that is not there, or a tensor the index and its shard disagree about.
std::vector<NamedTensor> read_hf_weights(const std::string& dir);

}  // namespace ssa::train
