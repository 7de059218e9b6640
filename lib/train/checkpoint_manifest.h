// COMPLETE: the file whose presence makes a checkpoint directory loadable, and the checkpoint's
// manifest. It lists every file with its size and CRC-32 and ends with the step:
//   model.safetensors 1048584 5a1f03c2
//   optimizer.safetensors 2097160 0e77b9d1
//   state.safetensors 1232 9c00a4f3
//   step 5
// so a flipped bit anywhere in a file, its header included, or a truncated file is found before
// anything is loaded; and a truncated COMPLETE lacks its last line. (Checkpoints of 0.10.0 have
// the single line "step N" and are loaded without the file check.)
#pragma once
#include <cstdint>
#include <map>
#include <string>

#include "lib/train/safetensors.h"

namespace ssa::train {

constexpr const char* kCompleteMarker = "COMPLETE";

// The step of a checkpoint directory named step_<digits> ("…/step_00000012" -> 12), or -1 for any
// other name (a .tmp or .unreadable directory, a user's copy).
int64_t checkpoint_step(const std::string& dir);

struct CheckpointManifest {
  int64_t step = 0;
  std::map<std::string, FileDigest> files;  // file name in the checkpoint directory -> digest
};

// Creates <dir>/COMPLETE exclusively and syncs it.
void write_complete_marker(const std::string& dir, const CheckpointManifest& manifest);

// Parses <dir>/COMPLETE; InputError naming it when it is missing, malformed, or its step is not
// the one in the directory's name (step_N).
CheckpointManifest read_complete_marker(const std::string& dir);

// The bytes of <dir>/<file>, after checking them against the manifest (when it lists the file).
std::string read_checked(const std::string& dir, const std::string& file, const CheckpointManifest& manifest);

// Loads <dir>/<file> as safetensors, checked against the manifest first.
std::vector<NamedTensor> load_checked(const std::string& dir, const std::string& file,
                                      const CheckpointManifest& manifest);

}  // namespace ssa::train
