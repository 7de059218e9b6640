// JSONL metrics with resume truncation (see metrics_sink.h).
#include "lib/train/metrics_sink.h"

#include <cstdlib>
#include <fstream>

#include "lib/core/error.h"
#include "lib/core/exclusive_file.h"

namespace ssa::train {

int64_t json_int_field(const std::string& line, const std::string& key) {
  const std::string needle = "\"" + key + "\":";
  const size_t at = line.find(needle);
  if (at == std::string::npos) return -1;
  return std::strtoll(line.c_str() + at + needle.size(), nullptr, 10);
}

MetricsSink::MetricsSink(const std::string& path, int64_t keep_through_step) {
  std::string kept;
  {
    std::ifstream in(path);
    for (std::string line; std::getline(in, line);) {
      if (!line.empty() && json_int_field(line, "step") <= keep_through_step) kept += line + "\n";
    }
  }
  out_ = std::make_unique<ExclusiveFile>(fresh_temporary(path));
  out_->write(kept);
  out_->commit_as(path);
}

void MetricsSink::write(const JsonLine& line) { out_->write(line.str() + "\n"); }

}  // namespace ssa::train
