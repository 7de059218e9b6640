// Process helpers for integration tests (see run_binary.h).
#include "tests/support/run_binary.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace ssa::test {
namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

pid_t spawn(const std::vector<std::string>& args, const std::string& out, const std::string& err,
            const std::vector<std::pair<std::string, std::string>>& env = {}) {
  std::fflush(nullptr);  // the child must not re-emit the parent's buffered output
  const pid_t pid = fork();
  if (pid == 0) {
    if (!freopen(out.c_str(), "w", stdout) || !freopen(err.c_str(), "w", stderr)) _exit(127);
    for (const auto& [name, value] : env) setenv(name.c_str(), value.c_str(), 1);
    std::vector<char*> argv;
    std::string bin = SSA_TRAIN_BIN;
    argv.push_back(bin.data());
    std::vector<std::string> copy = args;
    for (auto& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(bin.c_str(), argv.data());
    _exit(127);
  }
  return pid;
}

}  // namespace

RunResult run_ssa_train(const std::vector<std::string>& args) { return run_and_signal_when(args, "", 0); }

bool run_and_kill_when(const std::vector<std::string>& args, const std::string& path) {
  return run_and_signal_when(args, path, SIGKILL).exit_code == 128 + SIGKILL;
}

namespace {

// Starts ssa-train, waits until `ready()`, sends `signal` (0: none), and waits for the exit.
RunResult run_and_signal(const std::vector<std::string>& args, const std::function<bool()>& ready, int signal) {
  static std::atomic<int> calls{0};  // runs of one test may overlap (threads)
  const std::string base = "/tmp/ssa_it_" + std::to_string(getpid()) + "_" + std::to_string(calls++);
  const pid_t pid = spawn(args, base + ".out", base + ".err");
  int status = 0;
  bool exited = false;
  while (!ready()) {
    if (waitpid(pid, &status, WNOHANG) == pid) {
      exited = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (!exited) {
    if (signal != 0) kill(pid, signal);
    waitpid(pid, &status, 0);
  }
  RunResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = slurp(base + ".out");
  r.err = slurp(base + ".err");
  return r;
}

}  // namespace

RunResult run_and_signal_when(const std::vector<std::string>& args, const std::string& path, int signal) {
  return run_and_signal(
      args, [&] { return path.empty() || std::filesystem::exists(path); }, signal);
}

RunResult run_and_signal_after(const std::vector<std::string>& args, std::chrono::milliseconds delay, int signal) {
  const auto until = std::chrono::steady_clock::now() + delay;
  return run_and_signal(
      args, [&] { return std::chrono::steady_clock::now() >= until; }, signal);
}

std::string test_runs_root() {
  const std::string root = SSA_TEST_RUNS_DIR;
  std::filesystem::create_directories(root);
  return root;
}

std::string fresh_run_dir(const std::string& name) {
  const std::string dir = test_runs_root() + "/" + name;
  std::filesystem::remove_all(dir);
  return dir;
}

std::vector<RunResult> run_ranks(int world, const std::vector<std::string>& args, int port, int kill_rank,
                                 const std::string& kill_when_path, int signal) {
  const std::string base = "/tmp/ssa_it_" + std::to_string(getpid()) + "_rank";
  std::vector<pid_t> pids;
  for (int r = 0; r < world; ++r) {
    pids.push_back(spawn(args, base + std::to_string(r) + ".out", base + std::to_string(r) + ".err",
                         {{"RANK", std::to_string(r)},
                          {"WORLD_SIZE", std::to_string(world)},
                          {"LOCAL_RANK", std::to_string(r)},
                          {"MASTER_ADDR", "127.0.0.1"},
                          {"MASTER_PORT", std::to_string(port)}}));
  }
  std::vector<RunResult> results(static_cast<size_t>(world));
  std::vector<bool> done(static_cast<size_t>(world), false);
  const auto reap = [&](int r, int options) {
    int status = 0;
    if (done[r] || waitpid(pids[r], &status, options) != pids[r]) return;
    done[r] = true;
    results[r].exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  };
  if (kill_rank >= 0) {
    while (!std::filesystem::exists(kill_when_path) && !done[kill_rank]) {
      reap(kill_rank, WNOHANG);
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    if (!done[kill_rank]) kill(pids[kill_rank], signal);
  }
  for (int r = 0; r < world; ++r) reap(r, 0);
  for (int r = 0; r < world; ++r) {
    results[r].out = slurp(base + std::to_string(r) + ".out");
    results[r].err = slurp(base + std::to_string(r) + ".err");
  }
  return results;
}

std::vector<std::string> metrics_lines(const std::string& run_dir, const std::string& event) {
  std::vector<std::string> lines;
  std::ifstream in(run_dir + "/metrics.jsonl");
  for (std::string line; std::getline(in, line);) {
    if (event.empty() || line.find("\"event\":\"" + event + "\"") != std::string::npos) lines.push_back(line);
  }
  return lines;
}

std::string json_field(const std::string& line, const std::string& key) {
  const std::string needle = "\"" + key + "\":";
  const size_t at = line.find(needle);
  if (at == std::string::npos) return "";
  const size_t start = at + needle.size();
  const size_t end = line.find_first_of(",}", start);
  return line.substr(start, end - start);
}

double json_number(const std::string& line, const std::string& key) {
  return std::strtod(json_field(line, key).c_str(), nullptr);
}

std::string source_path(const std::string& relative) { return std::string(SSA_SOURCE_DIR) + "/" + relative; }

std::vector<std::string> metrics_fingerprint(const std::string& run_dir) {
  std::vector<std::string> out;
  for (const auto& l : metrics_lines(run_dir)) {
    std::string line;
    for (const char* key :
         {"step", "event", "phase", "loss", "grad_norm", "valid_loss", "valid_accuracy", "valid_ece",
          "ensemble_valid_loss", "ensemble_valid_mutual_information", "ensemble_valid_std_error_spearman"}) {
      line += json_field(l, key) + " ";
    }
    out.push_back(line);
  }
  return out;
}

int kill_trials() {
  const char* value = std::getenv("SSA_KILL_TRIALS");
  return value ? std::atoi(value) : 2;
}

}  // namespace ssa::test
