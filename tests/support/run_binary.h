// Runs the real ssa-train binary from integration tests and reads what it wrote.
#pragma once
#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace ssa::test {

struct RunResult {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

// Runs ssa-train with `args`; waits for it.
RunResult run_ssa_train(const std::vector<std::string>& args);

// Starts ssa-train, polls until `path` exists, then SIGKILLs it. Returns false if the process
// ended before the file appeared.
bool run_and_kill_when(const std::vector<std::string>& args, const std::string& path);

// Runs `world` ranks of ssa-train with a torchrun-style environment (RANK, WORLD_SIZE, LOCAL_RANK,
// MASTER_ADDR=127.0.0.1, MASTER_PORT=port). If kill_rank >= 0, sends `signal` to that rank once
// kill_when_path exists. Waits for every rank; results by rank.
std::vector<RunResult> run_ranks(int world, const std::vector<std::string>& args, int port, int kill_rank = -1,
                                 const std::string& kill_when_path = "", int signal = 9);

// Where integration tests write: it_runs/ in this build directory, so checkouts built side by
// side on one machine do not share (or delete) each other's runs. Created on first use.
std::string test_runs_root();

// test_runs_root()/<name>, removed if it exists: a run directory for one test.
std::string fresh_run_dir(const std::string& name);

// Starts ssa-train, waits until `path` exists, sends `signal`, and waits for the exit
// (path "" and signal 0: just waits).
RunResult run_and_signal_when(const std::vector<std::string>& args, const std::string& path, int signal);

// Starts ssa-train, sends `signal` after `delay` (unless it has exited), and waits for the exit.
RunResult run_and_signal_after(const std::vector<std::string>& args, std::chrono::milliseconds delay, int signal);

// metrics.jsonl lines, optionally only those with "event":"<event>".
std::vector<std::string> metrics_lines(const std::string& run_dir, const std::string& event = "");

// The raw text of a numeric field of a flat JSON line ("" if absent).
std::string json_field(const std::string& line, const std::string& key);
double json_number(const std::string& line, const std::string& key);

std::string source_path(const std::string& relative);

// Kills per randomized kill test: $SSA_KILL_TRIALS, default 2 (CI); larger for a long local run.
int kill_trials();

// The deterministic part of every metrics line (step, event, phase, losses, grad norm, validation
// metrics; no timings), for comparing a resumed run with an uninterrupted one.
std::vector<std::string> metrics_fingerprint(const std::string& run_dir);

}  // namespace ssa::test
