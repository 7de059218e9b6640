// TensorBoard event files (see tensorboard_writer.h). Protobuf wire format: a field is a varint
// key (number << 3 | wire type) then a varint (type 0), 8 little-endian bytes (1), a varint
// length and bytes (2), or 4 little-endian bytes (5).
#include "lib/train/tensorboard_writer.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "lib/core/crc.h"
#include "lib/core/error.h"
#include "lib/core/host_name.h"

namespace ssa::train {
namespace {

enum WireType : uint32_t { kVarint = 0, kFixed64 = 1, kBytes = 2, kFixed32 = 5 };

void put_varint(std::string& out, uint64_t v) {
  for (; v >= 0x80; v >>= 7) out += static_cast<char>((v & 0x7F) | 0x80);
  out += static_cast<char>(v);
}

template <class T>
void put_little_endian(std::string& out, T value) {  // the hosts we build for are little-endian
  char bytes[sizeof(T)];
  std::memcpy(bytes, &value, sizeof(T));
  out.append(bytes, sizeof(T));
}

void put_key(std::string& out, uint32_t field, WireType type) { put_varint(out, (field << 3) | type); }

void put_double(std::string& out, uint32_t field, double v) {
  put_key(out, field, kFixed64);
  put_little_endian(out, v);
}
void put_float(std::string& out, uint32_t field, float v) {
  put_key(out, field, kFixed32);
  put_little_endian(out, v);
}
void put_int(std::string& out, uint32_t field, int64_t v) {
  put_key(out, field, kVarint);
  put_varint(out, static_cast<uint64_t>(v));
}
void put_bytes(std::string& out, uint32_t field, const std::string& bytes) {
  put_key(out, field, kBytes);
  put_varint(out, bytes.size());
  out += bytes;
}

// Event fields (event.proto), Summary.value = 1, Summary.Value.tag = 1 / simple_value = 2,
// SessionLog.status = 1 with START = 1.
constexpr uint32_t kWallTime = 1, kStep = 2, kFileVersion = 3, kSummary = 5, kSessionLog = 7;
constexpr uint32_t kSummaryValue = 1, kValueTag = 1, kValueSimple = 2, kSessionStatus = 1;
constexpr int64_t kSessionStart = 1;

std::string event_header(int64_t step) {
  std::string event;
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  put_double(event, kWallTime, std::chrono::duration<double>(now).count());
  put_int(event, kStep, step);
  return event;
}

// Unique per writer, and in the order of creation when sorted by name, as TensorBoard and
// read_tfevents.py read a directory's files: seconds and microseconds (a restart within the same
// second sorts after), then host, pid and a zero-padded count (several writers in one process).
std::string event_file_name() {
  static int opened = 0;
  const auto micros =
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  char name[400];
  std::snprintf(name, sizeof(name), "events.out.tfevents.%lld.%06lld.%s.%d.%04d",
                static_cast<long long>(micros / 1000000), static_cast<long long>(micros % 1000000), host_name().c_str(),
                static_cast<int>(::getpid()), opened++);
  return name;
}

}  // namespace

uint32_t masked_crc32c(const void* data, size_t size) {
  const uint32_t c = crc32c(data, size);
  return ((c >> 15) | (c << 17)) + 0xa282ead8u;
}

TensorBoardWriter::TensorBoardWriter(const std::string& dir, int64_t resume_step) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw Error(ExitCode::kIo, "cannot create " + dir + ": " + ec.message());
  out_ = std::make_unique<ExclusiveFile>((std::filesystem::path(dir) / event_file_name()).string());
  std::string version = event_header(0);
  put_bytes(version, kFileVersion, "brain.Event:2");
  write_record(version);
  if (resume_step > 0) {
    std::string status;
    put_int(status, kSessionStatus, kSessionStart);
    std::string start = event_header(resume_step + 1);  // the first step this run logs
    put_bytes(start, kSessionLog, status);
    write_record(start);
  }
}

void TensorBoardWriter::write(const JsonLine& line) {
  int64_t step = 0;
  std::string group;
  for (const auto& [key, value] : line.numbers()) {
    if (key == "step") step = static_cast<int64_t>(value);
  }
  for (const auto& [key, text] : line.texts()) {
    if (key == "event") group = text + "/";
  }
  std::string summary;
  for (const auto& [key, value] : line.numbers()) {
    if (key == "step") continue;
    std::string scalar;
    put_bytes(scalar, kValueTag, group + key);
    put_float(scalar, kValueSimple, static_cast<float>(value));
    put_bytes(summary, kSummaryValue, scalar);
  }
  std::string event = event_header(step);
  put_bytes(event, kSummary, summary);
  write_record(event);
}

void TensorBoardWriter::write_record(const std::string& event) {
  std::string record;
  const uint64_t length = event.size();
  put_little_endian(record, length);
  put_little_endian(record, masked_crc32c(record.data(), sizeof(length)));
  record += event;
  put_little_endian(record, masked_crc32c(event.data(), event.size()));
  out_->write(record);  // unbuffered: each record reaches the file whole, as TensorBoard polls it
}

}  // namespace ssa::train
