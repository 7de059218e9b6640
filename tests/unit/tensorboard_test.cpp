// TensorBoard event files: CRC-32C against its published check values, the TFRecord framing, the
// Event encoding as an independent protobuf decoder (protoc --decode_raw) reads it, and the restart
// rule as scripts/read_tfevents.py (standard-library Python) applies it to two files.
#include "tests/support/catch.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "lib/core/crc.h"
#include "lib/train/tensorboard_writer.h"
#include "tests/support/text_io.h"

using namespace ssa;
using namespace ssa::train;
namespace fs = std::filesystem;

namespace {

// The payloads of a TFRecord file, checking both masked checksums of every record.
std::vector<std::string> record_payloads(const std::string& path) {
  const std::string bytes = ssa::test::read_file(path);
  std::vector<std::string> payloads;
  for (size_t at = 0; at < bytes.size();) {
    REQUIRE(at + 12 <= bytes.size());
    uint64_t length = 0;
    uint32_t length_crc = 0, data_crc = 0;
    std::memcpy(&length, bytes.data() + at, 8);
    std::memcpy(&length_crc, bytes.data() + at + 8, 4);
    CHECK(length_crc == masked_crc32c(bytes.data() + at, 8));
    REQUIRE(at + 12 + length + 4 <= bytes.size());
    const std::string payload = bytes.substr(at + 12, length);
    std::memcpy(&data_crc, bytes.data() + at + 12 + length, 4);
    CHECK(data_crc == masked_crc32c(payload.data(), payload.size()));
    payloads.push_back(payload);
    at += 12 + length + 4;
  }
  return payloads;
}

std::string fresh_dir(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("ssa_tensorboard_" + std::to_string(::getpid())) / name;
  fs::remove_all(dir);
  return dir.string();
}

std::vector<std::string> event_files(const std::string& dir) {
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(dir)) files.push_back(e.path().string());
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace

TEST_CASE("CRC-32C matches its published check values", "[tensorboard]") {
  CHECK(crc32c("123456789", 9) == 0xE3069283u);  // the standard check input
  const std::string zeros(32, '\0');
  CHECK(crc32c(zeros.data(), zeros.size()) == 0x8A9136AAu);  // RFC 3720 B.4
  const uint32_t c = 0xE3069283u;
  CHECK(masked_crc32c("123456789", 9) == ((c >> 15) | (c << 17)) + 0xa282ead8u);
}

TEST_CASE("event files frame every record and encode Events as protobuf readers expect", "[tensorboard]") {
  const std::string dir = fresh_dir("encoding");
  std::string path;
  {
    TensorBoardWriter writer(dir, /*resume_step=*/12);
    path = writer.path();
    JsonLine line;
    line.add("step", int64_t{13}).add("event", "train").add("phase", "ssa").add("loss", 2.5).add("targets", int64_t{640});
    writer.write(line);
  }
  CHECK(fs::path(path).filename().string().rfind("events.out.tfevents.", 0) == 0);
  const auto payloads = record_payloads(path);
  REQUIRE(payloads.size() == 3);  // version, SessionLog START, one scalar event
  CHECK(payloads[0].find("brain.Event:2") != std::string::npos);

  if (ssa::test::command_output("command -v protoc").empty()) {
    WARN("protoc not found: skipped the check with an independent protobuf decoder");
    return;
  }
  std::vector<std::string> decoded;
  for (size_t i = 0; i < payloads.size(); ++i) {
    const std::string file = dir + "/payload" + std::to_string(i);
    std::ofstream(file, std::ios::binary) << payloads[i];
    decoded.push_back(ssa::test::command_output("protoc --decode_raw < " + file));
    INFO(decoded.back());
    CHECK(decoded.back().find("1: 0x") == 0);  // wall_time, a double
  }
  CHECK(decoded[0].find("3: \"brain.Event:2\"") != std::string::npos);
  // SessionLog START (status 1) at the first step after the resume point.
  CHECK(decoded[1].find("2: 13\n7 {\n  1: 1\n}") != std::string::npos);
  // Summary.value { tag, simple_value as a fixed32 }: 2.5f = 0x40200000, 640.0f = 0x44200000.
  INFO(decoded[2]);
  CHECK(decoded[2].find("2: 13\n5 {\n  1 {\n    1: \"train/loss\"\n    2: 0x40200000\n  }\n"
                        "  1 {\n    1: \"train/targets\"\n    2: 0x44200000\n  }\n}") != std::string::npos);
  CHECK(decoded[2].find("phase") == std::string::npos);  // text fields are not scalars
}

TEST_CASE("event files sort by name in the order they were created, also within one second", "[tensorboard]") {
  const std::string dir = fresh_dir("order");
  std::vector<std::string> created;
  for (int i = 0; i < 12; ++i) created.push_back(TensorBoardWriter(dir, 0).path());
  auto sorted = created;
  std::sort(sorted.begin(), sorted.end());
  CHECK(sorted == created);
  CHECK(event_files(dir).size() == 12);
}

TEST_CASE("after a restart TensorBoard shows each step once, from the latest run", "[tensorboard]") {
  const std::string dir = fresh_dir("restart");
  const auto log = [](TensorBoardWriter& w, int64_t step, double loss) {
    JsonLine line;
    line.add("step", step).add("event", "train").add("loss", loss);
    w.write(line);
  };
  {
    TensorBoardWriter first(dir, 0);
    for (int64_t step : {10, 20, 30}) log(first, step, 1.0);  // killed after the checkpoint of step 20
  }
  {
    TensorBoardWriter resumed(dir, 20);
    for (int64_t step : {30, 40}) log(resumed, step, 2.0);
  }
  REQUIRE(event_files(dir).size() == 2);
  const std::string shown = ssa::test::command_output("/usr/bin/python3 " + std::string(SSA_SOURCE_DIR) +
                                                      "/scripts/read_tfevents.py " + dir + " 2>&1");
  CHECK(shown ==
        "{\"step\":10,\"tag\":\"train/loss\",\"value\":1.0}\n"
        "{\"step\":20,\"tag\":\"train/loss\",\"value\":1.0}\n"
        "{\"step\":30,\"tag\":\"train/loss\",\"value\":2.0}\n"
        "{\"step\":40,\"tag\":\"train/loss\",\"value\":2.0}\n");

  SECTION("a corrupted record is reported, naming the file") {
    const std::string victim = event_files(dir).front();
    std::string bytes = ssa::test::read_file(victim);
    bytes[bytes.size() - 6] ^= 0x01;  // inside the last record's payload
    std::ofstream(victim, std::ios::binary | std::ios::trunc) << bytes;
    const std::string error = ssa::test::command_output("/usr/bin/python3 " + std::string(SSA_SOURCE_DIR) +
                                                        "/scripts/read_tfevents.py " + dir + " 2>&1");
    CHECK(error.find("bad data checksum") != std::string::npos);
    CHECK(error.find(fs::path(victim).filename().string()) != std::string::npos);
  }
}
