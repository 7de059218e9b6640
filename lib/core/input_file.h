// Input files (configs, token files, images, molecules, checkpoints, dictionaries): the checks and
// whole-file reads every reader shares, so that every reader fails the same way, with one line
// "<label>: <path>: <problem>" (or "<path>: <problem>" without a label) as an InputError (exit 3).
#pragma once
#include <cstdint>
#include <string>

namespace ssa {

enum class EmptyFile { kRefused, kAllowed };

// The size of the regular file at `path`. Problems: "no such file", "is a directory, expected a
// file", "cannot open (permission denied?)" and, unless allowed, "file is empty".
int64_t check_input_file(const std::string& path, const std::string& label = "", EmptyFile empty = EmptyFile::kRefused);

// The whole file, after the same checks ("read failed after N bytes" if it shrinks or fails).
std::string read_input_file(const std::string& path, const std::string& label = "",
                            EmptyFile empty = EmptyFile::kRefused);

// The same for a file that may be gzip-compressed: gunzipped when it is, read unchanged when not.
// Corrupt or truncated gzip data is "cannot decompress (<zlib's reason>)".
std::string read_maybe_gzipped(const std::string& path, const std::string& label = "");

}  // namespace ssa
