// Human-readable logging through spdlog: a console sink and, once a run directory exists, a
// file sink. Metrics do not go here; they go to metrics.jsonl (lib/train/metrics_sink.h).
#pragma once
#include <string>

#include <spdlog/spdlog.h>

namespace ssa::log {

// Console logging with a short pattern; call once at start-up.
void init_console(bool verbose);

// Also write every log line to `path` (appending, so a resumed run keeps its history). A symbolic
// link there is refused (ssa::Error, exit 74) rather than written through.
void add_file(const std::string& path);

}  // namespace ssa::log
