// Run directory layout and the resume-compatibility check (see run_dir.h).
#include "lib/train/run_dir.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include <spdlog/spdlog.h>

#include "lib/core/error.h"
#include "lib/core/exclusive_file.h"
#include "lib/core/host_name.h"
#include "lib/core/input_file.h"
#include "lib/train/phase_schedule.h"

namespace ssa::train {
namespace fs = std::filesystem;
namespace {

// Phases are fractions of train.steps: another train.steps (or other phases) moves their
// boundaries, and a resumed step continues in whichever phase it now falls in.
void warn_if_phases_move(const config::ExperimentConfig& previous, const config::ExperimentConfig& config,
                         const RunPaths& paths) {
  const std::string was = PhaseSchedule(previous.train.phases, previous.train.steps).describe();
  const std::string now = PhaseSchedule(config.train.phases, config.train.steps).describe();
  if (was == now) return;
  spdlog::warn(
      "{}: the training phases move on resume, from {} to {}; the resumed step continues in the phase "
      "it falls in now",
      paths.root, was, now);
}

// Architecture keys (config schema) that differ refuse the directory; other differences warn.
void check_against_previous(const config::ExperimentConfig& config, const RunPaths& paths) {
  if (!std::filesystem::exists(paths.resolved_config)) return;  // a new run
  const std::string text = read_input_file(paths.resolved_config);
  const config::ExperimentConfig previous = config::parse_experiment(text, paths.resolved_config);
  const auto before = config::flatten(previous).values;
  const auto now = config::flatten(config);
  std::string architecture, other;
  for (const auto& [key, value] : now.values) {
    const auto it = before.find(key);
    const std::string old_value = it == before.end() ? "(absent)" : it->second;
    if (old_value == value) continue;
    std::string& list = now.architecture_keys.count(key) ? architecture : other;
    list += (list.empty() ? "" : "; ") + key + ": " + old_value + " -> " + value;
  }
  if (!architecture.empty()) {
    throw ConfigError(paths.root + ": this run directory holds a different model (" + architecture +
                      "); use another run.dir");
  }
  if (!other.empty()) spdlog::warn("config differs from the previous run in {}: {}", paths.root, other);
  warn_if_phases_move(previous, config, paths);
}

}  // namespace

std::string run_dir_for(const config::ExperimentConfig& config, const std::string& config_path) {
  if (!config.run.dir.empty()) return config.run.dir;
  return (fs::path("runs") / fs::path(config_path).stem()).string();
}

RunPaths run_paths(const std::string& root) {
  const fs::path r(root);
  return {root,
          (r / "config.resolved.yaml").string(),
          (r / "metrics.jsonl").string(),
          (r / "train.log").string(),
          (r / "checkpoints").string(),
          (r / "tensorboard").string()};
}

RunPaths prepare_run_dir(const config::ExperimentConfig& config, const std::string& root) {
  const RunPaths paths = run_paths(root);
  check_against_previous(config, paths);
  std::error_code ec;
  fs::create_directories(paths.checkpoints, ec);
  if (ec) throw Error(ExitCode::kIo, root + ": cannot create run directory: " + ec.message());
  replace_file_atomically(paths.resolved_config, config::to_yaml(config));
  return paths;
}

namespace {

// "ssa-train pid P on HOST", as the holder wrote it into the lock file.
std::string holder(int fd) {
  char text[256] = {};
  const ssize_t n = ::pread(fd, text, sizeof(text) - 1, 0);
  const std::string who = n > 0 ? std::string(text, static_cast<size_t>(n)) : "another process";
  return who.substr(0, who.find('\n'));
}

ConfigError in_use(const std::string& root, const std::string& who) {
  return ConfigError(root + ": run directory in use by " + who + "; wait for it to end or use another run.dir");
}

}  // namespace

void RunDirLock::check_free(const std::string& root) {
  const std::string path = (fs::path(root) / ".lock").string();
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return;  // no lock file: no run has used the directory, or it is unreadable (the real lock says)
  const bool busy = ::flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
  const std::string who = busy ? holder(fd) : "";
  ::close(fd);  // flock locks belong to the open file: this releases only the probe's own
  if (busy) throw in_use(root, who);
}

RunDirLock::RunDirLock(const std::string& root) {
  std::error_code ec;
  fs::create_directories(root, ec);
  if (ec) throw Error(ExitCode::kIo, root + ": cannot create run directory: " + ec.message());
  const std::string path = (fs::path(root) / ".lock").string();
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0666);
  if (fd_ < 0) throw Error(ExitCode::kIo, "cannot open " + path + ": " + std::strerror(errno));
  const int locked = ::flock(fd_, LOCK_EX | LOCK_NB) == 0 ? 0 : errno;
  if (locked != 0 && locked != EWOULDBLOCK) {  // e.g. ENOLCK on a file system without locks
    spdlog::warn("cannot lock {} ({}); a second run on this directory would not be stopped", path, std::strerror(locked));
    return;
  }
  if (locked == EWOULDBLOCK) {
    const std::string who = holder(fd_);
    ::close(fd_);
    fd_ = -1;
    throw in_use(root, who);
  }
  const std::string me = "ssa-train pid " + std::to_string(::getpid()) + " on " + host_name() + "\n";
  if (::ftruncate(fd_, 0) != 0 || ::pwrite(fd_, me.data(), me.size(), 0) != static_cast<ssize_t>(me.size())) {
    spdlog::warn("cannot record this process in {}: {}", path, std::strerror(errno));
  }
}

RunDirLock::~RunDirLock() {
  if (fd_ >= 0) ::close(fd_);  // releases the lock
}

}  // namespace ssa::train
