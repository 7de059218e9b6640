// Console and file sinks for spdlog (see log.h).
#include "lib/core/log.h"

#include <filesystem>

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>

#include "lib/core/error.h"

namespace ssa::log {

void init_console(bool verbose) {
  auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  auto logger = std::make_shared<spdlog::logger>("ssa", sink);
  logger->set_pattern("[%Y-%m-%d %H:%M:%S] %^%l%$ %v");
  logger->set_level(verbose ? spdlog::level::debug : spdlog::level::info);
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
}

void add_file(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_symlink(path, ec)) {  // appending would write wherever it points
    throw Error(ExitCode::kIo, path + ": is a symbolic link; refusing to write the log through it");
  }
  auto sink = std::make_shared<spdlog::sinks::basic_file_sink_mt>(path, /*truncate=*/false);
  sink->set_pattern("[%Y-%m-%d %H:%M:%S.%e] %l %v");
  spdlog::default_logger()->sinks().push_back(sink);
}

}  // namespace ssa::log
