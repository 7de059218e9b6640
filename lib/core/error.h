// Errors that reach the user: one clear line and a documented exit code (docs/exit-codes.md).
// SSA_CHECK is for conditions a user can cause; keep assert() for internal invariants.
#pragma once
#include <stdexcept>
#include <string>

#include <fmt/format.h>

namespace ssa {

// The first line of an exception's message, for error lines (c10::Error appends a backtrace).
inline std::string first_line(const std::exception& e) {
  const std::string what = e.what();
  return what.substr(0, what.find('\n'));
}

// Process exit codes. One table, documented in docs/exit-codes.md.
enum class ExitCode : int {
  kOk = 0,
  kInternal = 1,     // a bug or an unexpected library failure
  kConfig = 2,       // bad configuration or command line
  kInput = 3,        // missing or malformed data or checkpoint
  kDiverged = 4,     // loss or gradient became non-finite; stopped before the optimizer step
  kDistributed = 5,  // another rank died, or a collective or the rendezvous timed out
  kIo = 74,          // could not write outputs (disk full, permissions)
  kStopped = 143,    // stopped by a signal or time limit after saving a checkpoint
};

class Error : public std::runtime_error {
 public:
  Error(ExitCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
  ExitCode code() const { return code_; }

 private:
  ExitCode code_;
};

// A configuration problem: "file:line: dotted.key: problem".
class ConfigError : public Error {
 public:
  explicit ConfigError(const std::string& message) : Error(ExitCode::kConfig, message) {}
};

// A model config that cannot be built, from the model's own checks: key() is the full config key
// ("model.patch_size"), problem() the rest, so that the config loader can add the key's position.
class ModelConfigError : public ConfigError {
 public:
  ModelConfigError(const std::string& field, const std::string& problem)
      : ConfigError("model." + field + ": " + problem), key_("model." + field), problem_(problem) {}
  const std::string& key() const { return key_; }
  const std::string& problem() const { return problem_; }

 private:
  std::string key_, problem_;
};

// Missing, empty or malformed input files (data, checkpoints).
class InputError : public Error {
 public:
  explicit InputError(const std::string& message) : Error(ExitCode::kInput, message) {}
};

}  // namespace ssa

// Throws ssa::Error(code, formatted message) when cond is false.
#define SSA_CHECK(cond, code, ...)                                     \
  do {                                                                 \
    if (!(cond)) throw ::ssa::Error((code), fmt::format(__VA_ARGS__)); \
  } while (0)
