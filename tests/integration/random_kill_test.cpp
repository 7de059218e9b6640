// Reliability goals R1 and R4: `kill -9` at any step, then the same command again, ends bitwise
// where an uninterrupted run ends. For each model family's tiny config (SSA and dropout on, across
// the dense fine-tune boundary, one thread), runs are killed at the step before the fine-tune, at
// its first step and at the step after, and at steps drawn uniformly from [1, N - 1] with a fixed
// seed (SSA_FAULT=kill@S: SIGKILL in the middle of step S, after its backward). Each is resumed
// by the same command, and its final checkpoint (model, optimizer and state safetensors:
// parameters, AdamW moments and step counts, every RNG, the SSA sampler, the data position) must
// equal the uninterrupted run's byte for byte, and its metrics line for line.
// SSA_KILL_TRIALS sets the random kills per family (default 2 in CI; docs/reliability.md gives a
// 20-kill run).
#include "tests/support/catch.h"

#include <cstdio>
#include <random>

#include "tests/support/run_binary.h"
#include "tests/support/text_io.h"

using namespace ssa::test;

namespace {

const char* const kCheckpointFiles[] = {"model.safetensors", "optimizer.safetensors", "state.safetensors"};

// A file of the run's final checkpoint.
std::string final_checkpoint_file(const std::string& dir, int64_t steps, const std::string& file) {
  char name[32];
  std::snprintf(name, sizeof(name), "step_%08lld", static_cast<long long>(steps));
  return read_file(dir + "/checkpoints/" + name + "/" + file);
}

// The three files of a run's final checkpoint.
std::vector<std::string> final_checkpoint(const std::string& dir, int64_t steps) {
  std::vector<std::string> files;
  for (const char* file : kCheckpointFiles) files.push_back(final_checkpoint_file(dir, steps, file));
  return files;
}

// Each file of dir's final checkpoint equals `expected`, byte for byte.
void check_same_final_checkpoint(const std::string& dir, int64_t steps, const std::vector<std::string>& expected) {
  for (size_t f = 0; f < expected.size(); ++f) {
    INFO(kCheckpointFiles[f]);
    const bool identical = final_checkpoint_file(dir, steps, kCheckpointFiles[f]) == expected[f];
    CHECK(identical);
  }
}

}  // namespace

TEST_CASE(
    "kill -9 around the fine-tune boundary and at random steps, then the same command: the final checkpoint is "
    "byte-identical",
    "[integration][resume][random_kill]") {
  struct Family {
    const char* name;
    int64_t steps;
  };
  const auto family = GENERATE(Family{"tiny_decoder", 40}, Family{"tiny_pixels", 30}, Family{"tiny_swin", 60},
                               Family{"tiny_egt", 100});
  const std::string config = source_path(std::string("configs/test/") + family.name + ".yaml");
  const std::vector<std::string> settings{"checkpoint.every=7", "eval.every=0", "run.threads=1"};
  const auto args = [&](const std::string& dir) {
    std::vector<std::string> a{config, "run.dir=" + dir};
    a.insert(a.end(), settings.begin(), settings.end());
    return a;
  };
  const std::string straight = fresh_run_dir(std::string("random_kill_") + family.name);
  const auto r = run_ssa_train(args(straight));
  INFO(family.name << "\n" << r.err);
  REQUIRE(r.exit_code == 0);
  const auto expected = final_checkpoint(straight, family.steps);
  REQUIRE(expected[0].size() > 1000);
  const auto expected_metrics = metrics_fingerprint(straight);

  // The step before the dense fine-tune, its first step and the one after (goal R4), then
  // kill_trials() steps drawn with a fixed seed.
  const auto train = metrics_lines(straight, "train");
  int64_t first_dense = 0;
  while (first_dense < family.steps &&
         json_field(train[static_cast<size_t>(first_dense)], "phase") == json_field(train.front(), "phase")) {
    ++first_dense;
  }
  ++first_dense;  // 1-based
  REQUIRE(first_dense < family.steps);
  std::vector<int64_t> kill_steps{first_dense - 1, first_dense, first_dense + 1};
  std::mt19937 rng(20261130);
  for (int trial = 0; trial < kill_trials(); ++trial) {
    kill_steps.push_back(std::uniform_int_distribution<int64_t>(1, family.steps - 1)(rng));
  }
  for (size_t trial = 0; trial < kill_steps.size(); ++trial) {
    const int64_t kill_step = kill_steps[trial];
    INFO("kill at step " << kill_step << " (the fine-tune starts at step " << first_dense << ")");
    const std::string dir = fresh_run_dir(std::string("random_kill_") + family.name + "_" + std::to_string(trial));
    setenv("SSA_FAULT", ("kill@" + std::to_string(kill_step)).c_str(), 1);
    const auto killed = run_ssa_train(args(dir));
    unsetenv("SSA_FAULT");
    REQUIRE(killed.exit_code == 128 + 9);
    const auto resumed = run_ssa_train(args(dir));
    INFO(resumed.err);
    REQUIRE(resumed.exit_code == 0);
    check_same_final_checkpoint(dir, family.steps, expected);
    CHECK(metrics_fingerprint(dir) == expected_metrics);
  }
}

TEST_CASE("2 ranks: one rank killed at random steps ends the job: the same command ends byte-identical",
          "[integration][resume][random_kill][distributed]") {
  const std::vector<std::string> base{source_path("configs/test/tiny_decoder.yaml"), "train.steps=20",
                                      "checkpoint.every=6", "eval.every=0", "run.threads=1"};
  const auto args = [&](const std::string& dir) {
    auto a = base;
    a.push_back("run.dir=" + dir);
    return a;
  };
  const std::string straight = fresh_run_dir("random_kill_ranks");
  for (const auto& r : run_ranks(2, args(straight), 29830)) REQUIRE(r.exit_code == 0);
  const auto expected = final_checkpoint(straight, 20);

  std::mt19937 rng(6);
  for (int trial = 0; trial < kill_trials(); ++trial) {
    const int64_t kill_step = std::uniform_int_distribution<int64_t>(1, 19)(rng);
    const int killed_rank = trial % 2;
    INFO("rank " << killed_rank << " killed at step " << kill_step);
    const std::string dir = fresh_run_dir("random_kill_ranks_" + std::to_string(trial));
    setenv("SSA_FAULT", ("kill@" + std::to_string(kill_step) + ":" + std::to_string(killed_rank)).c_str(), 1);
    const auto killed = run_ranks(2, args(dir), 29830);
    unsetenv("SSA_FAULT");
    CHECK(killed[static_cast<size_t>(killed_rank)].exit_code == 128 + 9);
    CHECK(killed[static_cast<size_t>(1 - killed_rank)].exit_code == 5);  // its peer is gone: exit 5, no hang
    for (const auto& r : run_ranks(2, args(dir), 29830)) REQUIRE(r.exit_code == 0);
    check_same_final_checkpoint(dir, 20, expected);
    CHECK(metrics_fingerprint(dir) == metrics_fingerprint(straight));
  }
}
