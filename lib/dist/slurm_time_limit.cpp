// SLURM job end time (see slurm_time_limit.h).
#include "lib/dist/slurm_time_limit.h"

#include <array>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace ssa::dist {
namespace {

// The first line `command` prints, "" when it cannot run.
std::string first_line_of(const std::string& command) {
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return "";
  std::array<char, 256> buffer{};
  std::string line = std::fgets(buffer.data(), buffer.size(), pipe) != nullptr ? buffer.data() : "";
  ::pclose(pipe);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r' || line.back() == ' ')) line.pop_back();
  return line;
}

bool all_digits(const std::string& s) { return !s.empty() && s.find_first_not_of("0123456789") == std::string::npos; }

}  // namespace

std::optional<std::time_t> parse_slurm_time(const std::string& text) {
  std::tm tm{};
  const char* end = ::strptime(text.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (end == nullptr || *end != '\0') return std::nullopt;
  tm.tm_isdst = -1;  // local time, daylight saving as the calendar says
  const std::time_t t = std::mktime(&tm);
  if (t == static_cast<std::time_t>(-1)) return std::nullopt;
  return t;
}

std::optional<double> slurm_seconds_left(const EnvLookup& env, std::time_t now, const std::string& squeue) {
  const char* job = env("SLURM_JOB_ID");
  if (job == nullptr || !all_digits(job)) return std::nullopt;
  if (const char* end = env("SLURM_JOB_END_TIME"); end != nullptr && all_digits(end)) {
    return static_cast<double>(std::strtoll(end, nullptr, 10) - now);
  }
  const auto end = parse_slurm_time(first_line_of(squeue + " -h -o %e -j " + job + " 2>/dev/null"));
  if (!end) return std::nullopt;
  return static_cast<double>(*end - now);
}

std::optional<double> slurm_seconds_left() {
  return slurm_seconds_left([](const char* name) { return std::getenv(name); }, std::time(nullptr));
}

}  // namespace ssa::dist
