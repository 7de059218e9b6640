// safetensors writer and bounds-checked reader (see safetensors.h).
#include "lib/train/safetensors.h"

#include <cstring>
#include <map>

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

}  // namespace

std::map<std::string, at::Tensor> tensors_by_name(const std::vector<NamedTensor>& tensors) {
  std::map<std::string, at::Tensor> by_name;
  for (const auto& t : tensors) by_name[t.name] = t.tensor;
  return by_name;
}

void save_safetensors(const std::string& path, const std::vector<NamedTensor>& tensors) {
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
  out.write(length_bytes + header);
  for (const auto& t : data) out.write(t.data_ptr(), static_cast<size_t>(t.numel()) * t.element_size());
  out.sync_and_close();
}

std::vector<NamedTensor> parse_safetensors(const std::string& bytes, const std::string& name) {
  const auto fail = [&](const std::string& problem) { return InputError(name + ": " + problem); };
  if (bytes.size() < 8) throw fail("truncated: no header length");
  uint64_t length = 0;
  for (int i = 7; i >= 0; --i) length = (length << 8) | static_cast<unsigned char>(bytes[static_cast<size_t>(i)]);
  if (length > kMaxHeaderBytes || length > bytes.size() - 8) throw fail("header length " + std::to_string(length) + " exceeds the file");
  const uint64_t data_size = bytes.size() - 8 - length;
  YAML::Node header;
  try {
    header = YAML::Load(bytes.substr(8, length));
  } catch (const YAML::Exception& e) {
    throw fail("header is not JSON: " + std::string(e.what()));
  }
  if (!header.IsMap()) throw fail("header is not a JSON object");
  std::vector<NamedTensor> out;
  uint64_t covered = 0;
  try {
    const YAML::Node metadata = header["__metadata__"];
    for (const auto& kv : header) {
      const std::string tensor = kv.first.as<std::string>();
      if (tensor == "__metadata__") continue;
      const YAML::Node& info = kv.second;
      if (!info.IsMap() || !info["dtype"] || !info["shape"] || !info["data_offsets"] || !info["shape"].IsSequence() ||
          !info["data_offsets"].IsSequence() || info["data_offsets"].size() != 2) {
        throw fail(tensor + ": needs dtype, shape and two data_offsets");
      }
      at::ScalarType dtype = at::kFloat;
      bool known = false;
      for (const auto& [type, text] : dtype_names()) {
        if (text == info["dtype"].as<std::string>()) dtype = type, known = true;
      }
      if (!known) throw fail(tensor + ": unsupported dtype " + info["dtype"].as<std::string>());
      std::vector<int64_t> shape;
      std::string shape_csv;
      uint64_t elements = 1;
      for (const auto& d : info["shape"]) {
        const auto n = d.as<int64_t>();
        if (n < 0 || n > (int64_t{1} << 40) || (n > 0 && elements > (uint64_t{1} << 40) / static_cast<uint64_t>(n))) {
          throw fail(tensor + ": bad shape");
        }
        shape.push_back(n);
        shape_csv += (shape_csv.empty() ? "" : ",") + std::to_string(n);
        elements *= static_cast<uint64_t>(n);
      }
      const auto begin = info["data_offsets"][0].as<uint64_t>(), end = info["data_offsets"][1].as<uint64_t>();
      const uint64_t expected = elements * static_cast<uint64_t>(c10::elementSize(dtype));
      if (begin > end || end > data_size || end - begin != expected) {
        throw fail(tensor + ": data_offsets [" + std::to_string(begin) + ", " + std::to_string(end) +
                   ") do not fit the data (" + std::to_string(data_size) + " bytes) and shape");
      }
      const char* start = bytes.data() + 8 + length + begin;
      if (!metadata || !metadata["crc32." + tensor] ||
          metadata["crc32." + tensor].as<std::string>() !=
              checksum_text(info["dtype"].as<std::string>(), shape_csv, crc32(start, expected))) {
        throw fail(tensor + ": checksum mismatch (corrupted or not written by ssa-train)");
      }
      auto t = at::empty(shape, at::TensorOptions().dtype(dtype));
      std::memcpy(t.data_ptr(), start, expected);
      out.push_back({tensor, t});
      covered += expected;
    }
  } catch (const YAML::Exception& e) {
    throw fail("malformed header: " + std::string(e.what()));
  }
  if (covered != data_size) throw fail("tensors cover " + std::to_string(covered) + " of " + std::to_string(data_size) + " data bytes");
  return out;
}

std::vector<NamedTensor> load_safetensors(const std::string& path) {
  return parse_safetensors(read_input_file(path), path);
}

}  // namespace ssa::train
