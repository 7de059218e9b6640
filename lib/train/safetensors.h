// Model weights in the safetensors format (https://github.com/huggingface/safetensors): an 8-byte
// little-endian header length, a JSON header {name: {dtype, shape, data_offsets}, __metadata__},
// then the raw little-endian tensor bytes. Python reads it with numpy alone
// (scripts/read_safetensors.py). Our metadata adds a checksum per tensor ("crc32.<name>":
// "<dtype>:<shape>:<CRC-32 of the bytes>") so a flipped bit, a relabelled dtype or shape, or a
// truncation is detected. The reader parses data only and bounds-checks every
// length and offset: malformed files give InputError naming the file, never a crash.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

namespace ssa::train {

struct NamedTensor {
  std::string name;
  at::Tensor tensor;
};

// A written file's size and CRC-32, for a checkpoint's manifest.
struct FileDigest {
  int64_t bytes = 0;
  uint32_t crc32 = 0;
};

// The tensors of a loaded file by name.
std::map<std::string, at::Tensor> tensors_by_name(const std::vector<NamedTensor>& tensors);

// Creates `path` new (an existing file or link there is an I/O error, see exclusive_file.h), synced.
// Returns the size and CRC-32 of what it wrote.
FileDigest save_safetensors(const std::string& path, const std::vector<NamedTensor>& tensors);

// Our checkpoints carry a checksum for every tensor; files of other programs (a Hugging Face
// directory) have none, and theirs are checked where present.
enum class Checksums { kRequired, kIfPresent };

// The tensors in the order of their data in the file. Throws InputError("<path>: <problem>") on
// any malformed, truncated or corrupted input, or tensor data that overlaps or leaves a gap.
std::vector<NamedTensor> load_safetensors(const std::string& path, Checksums checksums = Checksums::kRequired);

// Parses an in-memory file (the same checks); `name` appears in errors.
std::vector<NamedTensor> parse_safetensors(const std::string& bytes, const std::string& name,
                                           Checksums checksums = Checksums::kRequired);

}  // namespace ssa::train
