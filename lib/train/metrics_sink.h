// metrics.jsonl: one JSON object per line, written per line. On resume, lines from steps after
// the checkpoint are dropped first, so every step appears once however often a run restarts: the
// kept lines go to a new file that replaces the old one and then takes the appends through its
// own descriptor (a file or link put at the path later is not written through).
#pragma once
#include <cstdint>
#include <memory>
#include <string>

#include "lib/core/exclusive_file.h"
#include "lib/core/json_line.h"

namespace ssa::train {

class MetricsSink {
 public:
  // Keeps only existing lines whose "step" is <= keep_through_step, then appends.
  MetricsSink(const std::string& path, int64_t keep_through_step);
  void write(const JsonLine& line);

 private:
  std::unique_ptr<ExclusiveFile> out_;
};

// The integer value of "key" in a flat JSON line, or -1 if absent.
int64_t json_int_field(const std::string& line, const std::string& key);

}  // namespace ssa::train
