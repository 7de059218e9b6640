// safetensors writer and bounds-checked reader (see safetensors.h).
#include "lib/train/safetensors.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <tuple>
#include <vector>

#include <ATen/ATen.h>
#include <yaml-cpp/yaml.h>

#include "lib/core/crc.h"
#include "lib/core/error.h"
#include "lib/core/exclusive_file.h"
#include "lib/core/input_file.h"

namespace ssa::train {
namespace {

constexpr uint64_t kMaxHeaderBytes = 64ull << 20;

const std::map<at::ScalarType, std::string>& dtype_names() {
  static const std::map<at::ScalarType, std::string> names = {
      {at::kFloat, "F32"}, {at::kDouble, "F64"}, {at::kHalf, "F16"}, {at::kBFloat16, "BF16"},
      {at::kLong, "I64"},  {at::kInt, "I32"},    {at::kByte, "U8"},  {at::kBool, "BOOL"}};
  return names;
}

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (const char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

// "<dtype>:<d0,d1,...>:<crc32 of the bytes>": a relabelled dtype or shape fails the check too.
std::string checksum_text(const std::string& dtype, const std::string& shape_csv, uint32_t data_crc) {
  return dtype + ":" + shape_csv + ":" + std::to_string(data_crc);
}

// One tensor's header entry: {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}.
struct HeaderEntry {
  std::string name;
  at::ScalarType dtype = at::kFloat;
  std::string dtype_text, shape_csv;
  std::vector<int64_t> shape;
  uint64_t begin = 0, end = 0;  // byte range in the data area
};

// Checks one entry: known dtype, sane shape, and a byte range inside the data area of exactly
// the shape's size.
HeaderEntry parse_entry(const std::string& tensor, const YAML::Node& info, uint64_t data_size, const std::string& file) {
  const auto fail = [&](const std::string& problem) { return InputError(file + ": " + tensor + ": " + problem); };
  if (!info.IsMap() || !info["dtype"] || !info["shape"] || !info["data_offsets"] || !info["shape"].IsSequence() ||
      !info["data_offsets"].IsSequence() || info["data_offsets"].size() != 2) {
    throw fail("needs dtype, shape and two data_offsets");
  }
  HeaderEntry e;
  e.name = tensor;
  e.dtype_text = info["dtype"].as<std::string>();
  bool known = false;
  for (const auto& [type, text] : dtype_names()) {
    if (text == e.dtype_text) e.dtype = type, known = true;
  }
  if (!known) throw fail("unsupported dtype " + e.dtype_text);
  uint64_t elements = 1;
  for (const auto& d : info["shape"]) {
    const auto n = d.as<int64_t>();
    if (n < 0 || n > (int64_t{1} << 40) || (n > 0 && elements > (uint64_t{1} << 40) / static_cast<uint64_t>(n))) {
      throw fail("bad shape");
    }
    e.shape.push_back(n);
    e.shape_csv += (e.shape_csv.empty() ? "" : ",") + std::to_string(n);
    elements *= static_cast<uint64_t>(n);
  }
  e.begin = info["data_offsets"][0].as<uint64_t>();
  e.end = info["data_offsets"][1].as<uint64_t>();
  const uint64_t expected = elements * static_cast<uint64_t>(c10::elementSize(e.dtype));
  if (e.begin > e.end || e.end > data_size || e.end - e.begin != expected) {
    throw fail("data_offsets [" + std::to_string(e.begin) + ", " + std::to_string(e.end) + ") do not fit the data (" +
               std::to_string(data_size) + " bytes) and shape");
  }
  return e;
}

// The tensors' byte ranges must tile the data area exactly: no gap, no overlap, nothing after.
// Entries come back sorted by their place in the file.
void check_tiling(std::vector<HeaderEntry>& entries, uint64_t data_size, const std::string& file) {
  std::stable_sort(entries.begin(), entries.end(), [](const HeaderEntry& a, const HeaderEntry& b) {
    return std::tie(a.begin, a.end) < std::tie(b.begin, b.end);
  });
  uint64_t covered = 0;
  for (const auto& e : entries) {
    if (e.begin != covered) {
      throw InputError(file + ": " + e.name + " starts at data byte " + std::to_string(e.begin) + ", expected " +
                       std::to_string(covered) + " (tensor data must not overlap or leave gaps)");
    }
    covered = e.end;
  }
  if (covered != data_size) {
    throw InputError(file + ": tensors cover " + std::to_string(covered) + " of " + std::to_string(data_size) +
                     " data bytes");
  }
}

}  // namespace

std::map<std::string, at::Tensor> tensors_by_name(const std::vector<NamedTensor>& tensors) {
  std::map<std::string, at::Tensor> by_name;
  for (const auto& t : tensors) by_name[t.name] = t.tensor;
  return by_name;
}

FileDigest save_safetensors(const std::string& path, const std::vector<NamedTensor>& tensors) {
  std::vector<at::Tensor> data;
  std::string entries, metadata = "\"format\":\"pt\"";
  uint64_t offset = 0;
  for (const auto& t : tensors) {
    const auto cpu = t.tensor.detach().to(at::kCPU).contiguous();
    const auto bytes = static_cast<uint64_t>(cpu.numel()) * cpu.element_size();
    std::string shape;
    for (const auto d : cpu.sizes()) shape += (shape.empty() ? "" : ",") + std::to_string(d);
    entries += "," + json_string(t.name) + ":{\"dtype\":\"" + dtype_names().at(cpu.scalar_type()) + "\",\"shape\":[" +
               shape + "],\"data_offsets\":[" + std::to_string(offset) + "," + std::to_string(offset + bytes) + "]}";
    metadata += "," + json_string("crc32." + t.name) + ":\"" +
                checksum_text(dtype_names().at(cpu.scalar_type()), shape, crc32(cpu.data_ptr(), bytes)) + "\"";
    offset += bytes;
    data.push_back(cpu);
  }
  std::string header = "{\"__metadata__\":{" + metadata + "}" + entries + "}";
  header.append((8 - header.size() % 8) % 8, ' ');  // keeps the data 8-byte aligned
  ExclusiveFile out(path);
  std::string length_bytes;
  for (int i = 0; i < 8; ++i) length_bytes += static_cast<char>((header.size() >> (8 * i)) & 0xFF);
  const std::string head = length_bytes + header;
  out.write(head);
  FileDigest digest{static_cast<int64_t>(head.size()), crc32(head.data(), head.size())};
  for (const auto& t : data) {
    const auto bytes = static_cast<size_t>(t.numel()) * t.element_size();
    out.write(t.data_ptr(), bytes);
    digest.bytes += static_cast<int64_t>(bytes);
    digest.crc32 = crc32_extend(digest.crc32, t.data_ptr(), bytes);
  }
  out.sync_and_close();
  return digest;
}

std::vector<NamedTensor> parse_safetensors(const std::string& bytes, const std::string& name, Checksums checksums) {
  const auto fail = [&](const std::string& problem) { return InputError(name + ": " + problem); };
  if (bytes.size() < 8) throw fail("truncated: no header length");
  uint64_t length = 0;
  for (int i = 7; i >= 0; --i) length = (length << 8) | static_cast<unsigned char>(bytes[static_cast<size_t>(i)]);
  if (length > kMaxHeaderBytes || length > bytes.size() - 8)
    throw fail("header length " + std::to_string(length) + " exceeds the file");
  const uint64_t data_size = bytes.size() - 8 - length;
  const char* data = bytes.data() + 8 + length;
  YAML::Node header;
  try {
    header = YAML::Load(bytes.substr(8, length));
  } catch (const YAML::Exception& e) {
    throw fail("header is not JSON: " + std::string(e.what()));
  }
  if (!header.IsMap()) throw fail("header is not a JSON object");
  std::vector<HeaderEntry> entries;
  YAML::Node metadata;
  try {
    metadata = header["__metadata__"];
    for (const auto& kv : header) {
      const std::string tensor = kv.first.as<std::string>();
      if (tensor != "__metadata__") entries.push_back(parse_entry(tensor, kv.second, data_size, name));
    }
  } catch (const YAML::Exception& e) {
    throw fail("malformed header: " + std::string(e.what()));
  }
  check_tiling(entries, data_size, name);
  std::vector<NamedTensor> out;
  for (const auto& e : entries) {
    const char* start = data + e.begin;
    const YAML::Node stored = metadata ? metadata["crc32." + e.name] : YAML::Node(YAML::NodeType::Undefined);
    const bool present = stored.IsDefined() && !stored.IsNull();
    if ((present || checksums == Checksums::kRequired) &&
        (!present || !stored.IsScalar() ||
         stored.as<std::string>() != checksum_text(e.dtype_text, e.shape_csv, crc32(start, e.end - e.begin)))) {
      throw fail(e.name + ": checksum mismatch (corrupted or not written by ssa-train)");
    }
    auto t = at::empty(e.shape, at::TensorOptions().dtype(e.dtype));
    if (e.end > e.begin) std::memcpy(t.data_ptr(), start, e.end - e.begin);  // an empty tensor has no storage
    out.push_back({e.name, t});
  }
  return out;
}

std::vector<NamedTensor> load_safetensors(const std::string& path, Checksums checksums) {
  return parse_safetensors(read_input_file(path), path, checksums);
}

}  // namespace ssa::train
