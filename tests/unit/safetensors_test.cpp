// safetensors: exact round trip of every dtype we write, and a mutation fuzz of the reader:
// thousands of flipped bytes, truncations and rewritten header lengths must each either load the
// original tensors exactly or throw InputError, never crash or return wrong data.
#include "tests/support/catch.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include <ATen/ATen.h>

#include "lib/core/crc.h"
#include "lib/core/error.h"
#include "lib/train/safetensors.h"
#include "tests/support/text_io.h"

using namespace ssa::train;

namespace {

std::vector<NamedTensor> sample_tensors() {
  at::manual_seed(0);
  return {{"embed.weight", at::randn({5, 3})},
          {"blocks.0.scale", at::randn({4}).to(at::kBFloat16)},
          {"step", at::tensor({int64_t{7}, int64_t{-1}})},
          {"mask", at::tensor({1, 0, 1}).to(at::kBool)},
          {"empty", at::zeros({0, 2})}};
}

// Same dtypes, shapes and values in the same order; names too unless `ignore_names`.
bool same(const std::vector<NamedTensor>& a, const std::vector<NamedTensor>& b, bool ignore_names = false) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if ((!ignore_names && a[i].name != b[i].name) || a[i].tensor.scalar_type() != b[i].tensor.scalar_type() ||
        !at::equal(a[i].tensor, b[i].tensor)) {
      return false;
    }
  }
  return true;
}

}  // namespace

TEST_CASE("safetensors round-trips F32, BF16, I64, BOOL and empty tensors exactly", "[safetensors]") {
  const std::string path = "/tmp/ssa_safetensors_roundtrip.safetensors";
  std::filesystem::remove(path);
  save_safetensors(path, sample_tensors());
  const auto bytes = ssa::test::read_file(path);
  uint64_t header = 0;
  for (int i = 7; i >= 0; --i) header = (header << 8) | static_cast<unsigned char>(bytes[static_cast<size_t>(i)]);
  CHECK((8 + header) % 8 == 0);  // data aligned
  CHECK(same(load_safetensors(path), sample_tensors()));
  CHECK(ssa::crc32("123456789", 9) == 0xCBF43926u);  // the standard CRC-32 check value
}

TEST_CASE("mutated safetensors files load exactly or fail with InputError", "[safetensors][fuzz]") {
  const std::string path = "/tmp/ssa_safetensors_fuzz.safetensors";
  std::filesystem::remove(path);
  save_safetensors(path, sample_tensors());
  const std::string original = ssa::test::read_file(path);
  std::mt19937_64 rng(12345);
  int rejected = 0, accepted = 0, renamed = 0;
  const char* trials_env = std::getenv("SSA_FUZZ_TRIALS");  // more under the sanitizers (docs/reliability.md)
  const int trials = trials_env ? std::atoi(trials_env) : 3000;
  for (int trial = 0; trial < trials; ++trial) {
    std::string bytes = original;
    switch (trial % 4) {
      case 0:  // flip random bits
        for (int k = 0; k < 1 + static_cast<int>(rng() % 3); ++k)
          bytes[rng() % bytes.size()] ^= static_cast<char>(1 << (rng() % 8));
        break;
      case 1:  // truncate
        bytes.resize(rng() % bytes.size());
        break;
      case 2:  // random header length
        for (int i = 0; i < 8; ++i) bytes[static_cast<size_t>(i)] = static_cast<char>(rng() % (i < 2 ? 256 : 2));
        break;
      default:  // random byte in the header
        bytes[8 + rng() % (bytes.find('}', 8) - 7)] = static_cast<char>(rng() % 256);
        break;
    }
    try {
      const auto loaded = parse_safetensors(bytes, "fuzz");
      INFO("trial " << trial << ": header " << bytes.substr(8, bytes.find('}', 8) - 8 + 2));
      // Harmless mutations (header spacing) load the same tensors. The per-tensor checksums are
      // keyed by name, so the same bit flipped in a name and in its checksum key renames the
      // tensor (seen once in 100,000 trials, with 2 of up to 3 flips); a checkpoint's COMPLETE
      // manifest (a CRC-32 of every whole file) refuses that too (checkpoint_test [fuzz]).
      REQUIRE(same(loaded, sample_tensors(), /*ignore_names=*/true));
      if (same(loaded, sample_tensors()))
        ++accepted;
      else
        ++renamed;
    } catch (const ssa::InputError&) {
      ++rejected;
    }
  }
  INFO("accepted " << accepted << ", renamed " << renamed);
  CHECK(rejected > trials * 5 / 6);
  CHECK(renamed <= trials / 10000 + 1);
}

// Two tensors that share their bytes, with the data area's second half unused: the sizes add up to
// the data area, and each checksum matches, yet the file is not one ssa-train writes.
TEST_CASE("tensor data that overlaps or leaves a gap is refused", "[safetensors]") {
  const std::string bytes4("\x01\x02\x03\x04", 4);
  const std::string crc = "U8:4:" + std::to_string(ssa::crc32(bytes4.data(), 4));
  const auto file_with = [&](const std::string& b_offsets) {
    const std::string header = "{\"__metadata__\":{\"crc32.a\":\"" + crc + "\",\"crc32.b\":\"" + crc +
                               "\"},\"a\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[0,4]},"
                               "\"b\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":" +
                               b_offsets + "}}";
    std::string length(8, '\0');
    for (int i = 0; i < 8; ++i) length[static_cast<size_t>(i)] = static_cast<char>((header.size() >> (8 * i)) & 0xff);
    return length + header + bytes4 + bytes4;
  };
  CHECK(parse_safetensors(file_with("[4,8]"), "ok").size() == 2);  // the well-formed twin loads
  CHECK_THROWS_WITH(parse_safetensors(file_with("[0,4]"), "overlap"),
                    "overlap: b starts at data byte 0, expected 4 (tensor data must not overlap or leave gaps)");
}

TEST_CASE("crc32_extend over pieces is the CRC-32 of the whole, and an empty piece changes nothing", "[safetensors]") {
  const std::string text = "123456789";
  CHECK(ssa::crc32(text.data(), text.size()) == 0xCBF43926u);  // the standard check value
  const uint32_t head = ssa::crc32(text.data(), 4);
  CHECK(ssa::crc32_extend(ssa::crc32_extend(head, nullptr, 0), text.data() + 4, 5) == 0xCBF43926u);
}
