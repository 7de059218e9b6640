// Hugging Face model directories: sharded safetensors and the index (see hf_directory.h).
#include "lib/train/hf_directory.h"

#include <filesystem>
#include <map>
#include <set>

#include <ATen/ATen.h>
#include <yaml-cpp/yaml.h>

#include "lib/core/error.h"
#include "lib/core/exclusive_file.h"
#include "lib/core/input_file.h"

namespace ssa::train {
namespace fs = std::filesystem;
namespace {

constexpr const char* kSingleFile = "model.safetensors";
constexpr const char* kIndexFile = "model.safetensors.index.json";

int64_t tensor_bytes(const at::Tensor& t) { return t.numel() * static_cast<int64_t>(t.element_size()); }

// The tensors split into shards of at most max_bytes each, in order.
std::vector<std::vector<NamedTensor>> shards_of(const std::vector<NamedTensor>& tensors, int64_t max_bytes) {
  std::vector<std::vector<NamedTensor>> shards(1);
  int64_t filled = 0;
  for (const auto& t : tensors) {
    if (filled > 0 && filled + tensor_bytes(t.tensor) > max_bytes) shards.emplace_back(), filled = 0;
    shards.back().push_back(t);
    filled += tensor_bytes(t.tensor);
  }
  return shards;
}

std::string shard_name(size_t i, size_t count) {
  char name[64];
  std::snprintf(name, sizeof name, "model-%05zu-of-%05zu.safetensors", i + 1, count);
  return name;
}

void write_file(const fs::path& path, const std::string& bytes) {
  ExclusiveFile out(path.string());
  out.write(bytes);
  out.sync_and_close();
}

// model.safetensors.index.json for the shards, keys sorted, as transformers writes it.
std::string index_json(const std::vector<std::vector<NamedTensor>>& shards) {
  int64_t total = 0;
  std::map<std::string, std::string> weight_map;
  for (size_t i = 0; i < shards.size(); ++i) {
    for (const auto& t : shards[i]) {
      total += tensor_bytes(t.tensor);
      weight_map[t.name] = shard_name(i, shards.size());
    }
  }
  std::string json = "{\n  \"metadata\": {\n    \"total_size\": " + std::to_string(total) +
                     "\n  },\n  \"weight_map\": {\n";
  for (const auto& [name, file] : weight_map) json += "    \"" + name + "\": \"" + file + "\",\n";
  json.erase(json.size() - 2, 1);
  return json + "  }\n}\n";
}

void write_weights(const fs::path& dir, const std::vector<NamedTensor>& tensors, int64_t max_shard_bytes) {
  const auto shards = shards_of(tensors, max_shard_bytes);
  if (shards.size() == 1) {
    save_safetensors((dir / kSingleFile).string(), tensors);
    return;
  }
  for (size_t i = 0; i < shards.size(); ++i) save_safetensors((dir / shard_name(i, shards.size())).string(), shards[i]);
  write_file(dir / kIndexFile, index_json(shards));
}

// The index's {tensor: file}; InputError naming the index when it is malformed.
std::map<std::string, std::string> read_weight_map(const std::string& index) {
  std::map<std::string, std::string> weight_map;
  try {
    const YAML::Node root = YAML::Load(read_input_file(index));
    if (!root.IsMap() || !root["weight_map"] || !root["weight_map"].IsMap())
      throw InputError(index + ": no weight_map");
    for (const auto& kv : root["weight_map"]) weight_map[kv.first.as<std::string>()] = kv.second.as<std::string>();
  } catch (const YAML::Exception& e) {
    throw InputError(index + ": not a valid index: " + std::string(e.what()));
  }
  if (weight_map.empty()) throw InputError(index + ": weight_map is empty");
  return weight_map;
}

// One shard's tensors, which must be exactly those the index puts there.
std::vector<NamedTensor> read_shard(const fs::path& dir, const std::string& file, const std::set<std::string>& listed) {
  const fs::path path = dir / file;
  if (file.find('/') != std::string::npos || !fs::is_regular_file(path)) {
    throw InputError((dir / kIndexFile).string() + ": names " + file + ", which is not in " + dir.string());
  }
  auto tensors = load_safetensors(path.string(), Checksums::kIfPresent);
  std::set<std::string> found;
  for (const auto& t : tensors) found.insert(t.name);
  for (const auto& name : listed) {
    if (!found.count(name)) throw InputError(path.string() + ": has no " + name + ", which the index puts there");
  }
  for (const auto& name : found) {
    if (!listed.count(name)) throw InputError(path.string() + ": holds " + name + ", which the index puts elsewhere");
  }
  return tensors;
}

}  // namespace

int64_t parse_shard_size(const std::string& text) {
  static const std::vector<std::pair<std::string, int64_t>> units = {{"KiB", int64_t{1} << 10},
                                                                     {"MiB", int64_t{1} << 20},
                                                                     {"GiB", int64_t{1} << 30},
                                                                     {"KB", 1000},
                                                                     {"MB", 1000 * 1000},
                                                                     {"GB", 1000 * 1000 * 1000},
                                                                     {"B", 1}};
  for (const auto& [unit, scale] : units) {
    if (text.size() <= unit.size() || text.compare(text.size() - unit.size(), unit.size(), unit) != 0) continue;
    try {
      size_t used = 0;
      const double value = std::stod(text.substr(0, text.size() - unit.size()), &used);
      if (used == text.size() - unit.size() && value > 0)
        return static_cast<int64_t>(value * static_cast<double>(scale));
    } catch (const std::exception&) {}
    break;
  }
  throw ConfigError("--max-shard-size: is '" + text + "'; expected a size such as 5GB, 500MB or 2GiB");
}

void check_new_directory(const std::string& dir) {
  if (fs::exists(dir)) throw ConfigError("--out: " + dir + " exists; export writes a new directory");
}

void write_hf_directory(const std::string& dir, const std::vector<NamedTensor>& tensors, int64_t max_shard_bytes,
                        const std::vector<ExtraFile>& files) {
  check_new_directory(dir);
  const fs::path partial = dir + ".partial";
  std::error_code ec;
  fs::remove_all(partial, ec);  // a kill left it
  try {
    fs::create_directories(partial);
    write_weights(partial, tensors, max_shard_bytes);
    for (const auto& f : files) write_file(partial / f.name, f.bytes);
    fs::rename(partial, dir);
  } catch (const std::exception& e) {
    fs::remove_all(partial, ec);
    throw Error(ExitCode::kIo, "cannot write " + dir + ": " + e.what());
  }
}

bool is_hf_directory(const std::string& path) {
  const fs::path dir(path);
  return fs::is_directory(dir) && fs::exists(dir / "config.json") &&
         (fs::exists(dir / kSingleFile) || fs::exists(dir / kIndexFile));
}

std::vector<NamedTensor> read_hf_weights(const std::string& dir) {
  const fs::path root(dir);
  if (!fs::exists(root / kIndexFile)) return load_safetensors((root / kSingleFile).string(), Checksums::kIfPresent);
  std::map<std::string, std::set<std::string>> by_file;
  for (const auto& [name, file] : read_weight_map((root / kIndexFile).string())) by_file[file].insert(name);
  std::vector<NamedTensor> all;
  for (const auto& [file, names] : by_file) {
    for (auto& t : read_shard(root, file, names)) all.push_back(std::move(t));
  }
  return all;
}

}  // namespace ssa::train
