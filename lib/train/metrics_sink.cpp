// JSONL metrics with resume truncation (see metrics_sink.h).
#include "lib/train/metrics_sink.h"

#include <cstdio>
#include <filesystem>
#include <cstdlib>
#include <vector>

#include "lib/core/error.h"

namespace ssa::train {

int64_t json_int_field(const std::string& line, const std::string& key) {
  const std::string needle = "\"" + key + "\":";
  const size_t at = line.find(needle);
  if (at == std::string::npos) return -1;
  return std::strtoll(line.c_str() + at + needle.size(), nullptr, 10);
}

MetricsSink::MetricsSink(const std::string& path, int64_t keep_through_step) : path_(path) {
  std::vector<std::string> kept;
  {
    std::ifstream in(path);
    for (std::string line; std::getline(in, line);) {
      if (!line.empty() && json_int_field(line, "step") <= keep_through_step) kept.push_back(line);
    }
  }
  const std::string tmp = path + ".tmp";
  std::error_code ec;
  std::filesystem::remove(tmp, ec);  // a link planted there goes, and is not written through
  {
    std::ofstream rewrite(tmp, std::ios::trunc);
    for (const auto& line : kept) rewrite << line << "\n";
    rewrite.close();
    if (!rewrite) throw Error(ExitCode::kIo, "cannot write " + tmp);
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) throw Error(ExitCode::kIo, "cannot replace " + path);
  out_.open(path, std::ios::app);
  if (!out_) throw Error(ExitCode::kIo, "cannot open " + path + " for appending");
}

void MetricsSink::write(const JsonLine& line) {
  out_ << line.str() << "\n";
  out_.flush();
  if (!out_) throw Error(ExitCode::kIo, "cannot append to " + path_ + " (disk full?)");
}

}  // namespace ssa::train
