// JSONL metrics with resume truncation (see metrics_sink.h).
#include "lib/train/metrics_sink.h"

#include <cstdlib>

#include "lib/core/error.h"
#include "lib/core/exclusive_file.h"

namespace ssa::train {

int64_t json_int_field(const std::string& line, const std::string& key) {
  const std::string needle = "\"" + key + "\":";
  const size_t at = line.find(needle);
  if (at == std::string::npos) return -1;
  return std::strtoll(line.c_str() + at + needle.size(), nullptr, 10);
}

MetricsSink::MetricsSink(const std::string& path, int64_t keep_through_step) : path_(path) {
  std::string kept;
  {
    std::ifstream in(path);
    for (std::string line; std::getline(in, line);) {
      if (!line.empty() && json_int_field(line, "step") <= keep_through_step) kept += line + "\n";
    }
  }
  replace_file_atomically(path, kept);
  out_.open(path, std::ios::app);
  if (!out_) throw Error(ExitCode::kIo, "cannot open " + path + " for appending");
}

void MetricsSink::write(const JsonLine& line) {
  out_ << line.str() << "\n";
  out_.flush();
  if (!out_) throw Error(ExitCode::kIo, "cannot append to " + path_ + " (disk full?)");
}

}  // namespace ssa::train
