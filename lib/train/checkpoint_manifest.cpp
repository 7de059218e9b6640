// The COMPLETE marker and manifest of a checkpoint directory (see checkpoint_manifest.h).
#include "lib/train/checkpoint_manifest.h"

#include <cstdio>
#include <filesystem>
#include <optional>
#include <sstream>
#include <vector>

#include "lib/core/crc.h"
#include "lib/core/error.h"
#include "lib/core/exclusive_file.h"
#include "lib/core/input_file.h"

namespace ssa::train {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// "step 12" -> 12; nullopt for anything else (signs, spaces, leading zeros are not written).
std::optional<int64_t> step_line(const std::string& line) {
  if (line.rfind("step ", 0) != 0) return std::nullopt;
  const std::string digits = line.substr(5);
  if (digits.empty() || digits.size() > 18 || digits.find_first_not_of("0123456789") != std::string::npos ||
      (digits.size() > 1 && digits[0] == '0')) {
    return std::nullopt;
  }
  return std::stoll(digits);
}

// "<file> <bytes> <crc32 as 8 hex digits>"
bool parse_file_line(const std::string& line, std::string& name, FileDigest& digest) {
  char file[256];
  long long bytes = 0;
  unsigned int crc = 0;
  char end = 0;
  if (std::sscanf(line.c_str(), "%255s %lld %8x%c", file, &bytes, &crc, &end) != 3 || bytes < 0) return false;
  name = file;
  digest = {bytes, static_cast<uint32_t>(crc)};
  char again[300];
  std::snprintf(again, sizeof(again), "%s %lld %08x", file, bytes, crc);
  return line == again;  // the one spelling we write: a flipped bit elsewhere in the line is caught
}

}  // namespace

int64_t checkpoint_step(const std::string& dir) {
  const std::string name = fs::path(dir).filename().string();
  if (name.size() <= 5 || name.size() > 23 || name.rfind("step_", 0) != 0 ||
      name.find_first_not_of("0123456789", 5) != std::string::npos) {
    return -1;
  }
  return std::stoll(name.substr(5));
}

void write_complete_marker(const std::string& dir, const CheckpointManifest& manifest) {
  std::string text;
  for (const auto& [name, digest] : manifest.files) {
    char line[300];
    std::snprintf(line, sizeof(line), "%s %lld %08x\n", name.c_str(), static_cast<long long>(digest.bytes),
                  static_cast<unsigned int>(digest.crc32));
    text += line;
  }
  text += "step " + std::to_string(manifest.step) + "\n";
  ExclusiveFile out((fs::path(dir) / kCompleteMarker).string());
  out.write(text);
  out.sync_and_close();
}

CheckpointManifest read_complete_marker(const std::string& dir) {
  const std::string path = (fs::path(dir) / kCompleteMarker).string();
  if (!fs::exists(path)) throw InputError(dir + ": not a complete checkpoint (no " + kCompleteMarker + ")");
  const std::string text = read_input_file(path);
  const auto lines = lines_of(text);
  const auto bad = [&](const std::string& problem) { return InputError(path + ": " + problem + " (corrupted?)"); };
  if (lines.empty() || text.back() != '\n') throw bad("does not end with a complete line");
  CheckpointManifest manifest;
  const auto step = step_line(lines.back());
  if (!step) throw bad("last line is not 'step N'");
  manifest.step = *step;
  for (size_t i = 0; i + 1 < lines.size(); ++i) {
    std::string name;
    FileDigest digest;
    if (!parse_file_line(lines[i], name, digest) || !manifest.files.emplace(name, digest).second) {
      throw bad("line " + std::to_string(i + 1) + " is not '<file> <bytes> <crc32>'");
    }
  }
  const int64_t named = checkpoint_step(dir);
  if (named >= 0 && named != manifest.step) {
    throw bad("says step " + std::to_string(manifest.step) + ", the directory step " + std::to_string(named));
  }
  return manifest;
}

std::string read_checked(const std::string& dir, const std::string& file, const CheckpointManifest& manifest) {
  const std::string path = (fs::path(dir) / file).string();
  std::string bytes = read_input_file(path);
  const auto listed = manifest.files.find(file);
  if (listed == manifest.files.end()) {
    if (!manifest.files.empty()) throw InputError(path + ": not listed in " + kCompleteMarker);
    return bytes;  // a 0.10.0 checkpoint: no manifest
  }
  const FileDigest& want = listed->second;
  if (static_cast<int64_t>(bytes.size()) != want.bytes) {
    throw InputError(path + ": " + std::to_string(bytes.size()) + " bytes, " + kCompleteMarker + " says " +
                     std::to_string(want.bytes) + " (truncated or replaced)");
  }
  if (crc32(bytes.data(), bytes.size()) != want.crc32) {
    throw InputError(path + ": CRC-32 differs from the one in " + kCompleteMarker + " (corrupted)");
  }
  return bytes;
}

std::vector<NamedTensor> load_checked(const std::string& dir, const std::string& file,
                                      const CheckpointManifest& manifest) {
  const std::string path = (fs::path(dir) / file).string();
  return parse_safetensors(read_checked(dir, file, manifest), path);
}

}  // namespace ssa::train
