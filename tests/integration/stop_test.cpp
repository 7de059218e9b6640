// Graceful stop: SIGTERM (or SIGUSR1 to one rank of two, or the time limit) stops every rank
// after the same step, saves a checkpoint of that step, exits 143, and the same command resumes.
#include "tests/support/catch.h"

#include <signal.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <random>

#include "tests/support/run_binary.h"

using namespace ssa::test;
namespace fs = std::filesystem;

namespace {

const std::string kConfig = source_path("configs/test/tiny_decoder.yaml");

// The step of the newest complete checkpoint, or -1.
int64_t newest_checkpoint_step(const std::string& dir) {
  int64_t newest = -1;
  for (const auto& e : fs::directory_iterator(dir + "/checkpoints")) {
    const std::string name = e.path().filename().string();
    if (name.rfind("step_", 0) == 0 && fs::exists(e.path() / "COMPLETE") && name.find(".tmp") == std::string::npos) {
      newest = std::max<int64_t>(newest, std::stoll(name.substr(5)));
    }
  }
  return newest;
}

}  // namespace

TEST_CASE("SIGTERM saves the current step, exits 143, and the same command resumes", "[integration][stop]") {
  const std::string dir = fresh_run_dir("sigterm");
  const std::vector<std::string> args{kConfig,
                                      "run.dir=" + dir,
                                      "train.steps=2000",
                                      "checkpoint.every=1000",
                                      "eval.every=0",
                                      "train.lr_schedule.warmup_steps=2"};
  // Wait for metrics of a few steps: the first metrics line appears after step 1.
  const auto r = run_and_signal_when(args, dir + "/metrics.jsonl", SIGTERM);
  INFO(r.err);
  REQUIRE(r.exit_code == 143);
  CHECK(r.err.find("(SIGTERM on rank 0); checkpoint saved") != std::string::npos);
  const auto lines = metrics_lines(dir, "train");
  REQUIRE(!lines.empty());
  const int64_t stopped_at = std::stoll(json_field(lines.back(), "step"));
  CHECK(newest_checkpoint_step(dir) == stopped_at);
  const auto again = run_ssa_train({kConfig, "run.dir=" + dir, "train.steps=" + std::to_string(stopped_at + 3),
                                    "checkpoint.every=1000", "eval.every=0", "train.lr_schedule.warmup_steps=2"});
  INFO(again.err);
  CHECK(again.exit_code == 0);
  CHECK(again.err.find("resumed from") != std::string::npos);
  CHECK(metrics_lines(dir, "train").size() == static_cast<size_t>(stopped_at + 3));
}

TEST_CASE("resuming with another CPU thread count warns that the run is no longer bitwise reproducible",
          "[integration][stop]") {
  const std::string dir = fresh_run_dir("threads_changed");
  const std::vector<std::string> args{kConfig, "run.dir=" + dir, "checkpoint.every=4", "eval.every=0",
                                      "train.lr_schedule.warmup_steps=2"};
  auto first = args;
  first.insert(first.end(), {"train.steps=4", "run.threads=1"});
  REQUIRE(run_ssa_train(first).exit_code == 0);
  auto same = args;
  same.insert(same.end(), {"train.steps=6", "run.threads=1"});
  const auto unchanged = run_ssa_train(same);
  CHECK(unchanged.exit_code == 0);
  CHECK(unchanged.err.find("CPU threads") == std::string::npos);
  auto more = args;
  more.insert(more.end(), {"train.steps=8", "run.threads=2"});
  const auto changed = run_ssa_train(more);
  INFO(changed.err);
  CHECK(changed.exit_code == 0);
  CHECK(changed.err.find("written with 1 CPU threads, this process uses 2 (run.threads)") != std::string::npos);
}

// SLURM's --signal can come before training starts (a short job, a slow data load): it must be a
// stop request, not the default action (death without a checkpoint, and no requeue).
TEST_CASE("SIGTERM during the data load stops after the first step with a checkpoint", "[integration][stop]") {
  const std::string dir = fresh_run_dir("sigterm_loading");
  setenv("SSA_FAULT", "slow_load@0/4000", 1);  // the data load takes 4 s longer
  const auto r = run_and_signal_after({kConfig, "run.dir=" + dir, "train.steps=50", "checkpoint.every=1000",
                                       "eval.every=0", "train.lr_schedule.warmup_steps=2"},
                                      std::chrono::milliseconds(1500), SIGTERM);
  unsetenv("SSA_FAULT");
  INFO(r.err);
  CHECK(r.exit_code == 143);
  CHECK(r.err.find("stopped at step 1 (SIGTERM on rank 0); checkpoint saved") != std::string::npos);
  CHECK(newest_checkpoint_step(dir) == 1);
}

// A start-up that outlasts the signal by more than the grace (a long load, ranks that never come)
// must not hold the job: the process ends with 143 soon after kStartupStopGraceSeconds (10 s).
TEST_CASE("SIGTERM during a start-up that outlasts the grace ends the process within seconds", "[integration][stop]") {
  const std::string dir = fresh_run_dir("sigterm_long_start");
  setenv("SSA_FAULT", "slow_load@0/120000", 1);  // the data load takes 2 minutes longer
  const auto start = std::chrono::steady_clock::now();
  const auto r = run_and_signal_after({kConfig, "run.dir=" + dir, "train.steps=50", "eval.every=0"},
                                      std::chrono::milliseconds(1000), SIGTERM);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  unsetenv("SSA_FAULT");
  INFO(r.err);
  CHECK(r.exit_code == 143);
  CHECK(seconds < 20);
  CHECK(r.err.find("stopped during start-up (SIGTERM): training had not begun 10 s after the signal") !=
        std::string::npos);
  CHECK((!fs::exists(dir + "/checkpoints") || fs::is_empty(dir + "/checkpoints")));
}

// The watchdog guards the start-up only: once step 1 begins, a stop signal ends the run at the end
// of a step with a checkpoint, however long step 1's validation takes.
TEST_CASE("SIGTERM during a step-1 validation longer than the grace stops after step 1 with a checkpoint",
          "[integration][stop]") {
  const std::string dir = fresh_run_dir("sigterm_slow_eval");
  setenv("SSA_FAULT", "eval_slow@1/12000", 1);  // step 1's validation outlasts the 10 s grace
  const auto r = run_and_signal_when({kConfig, "run.dir=" + dir, "train.steps=50", "train.lr_schedule.warmup_steps=1",
                                      "eval.every=1", "eval.batches=1", "checkpoint.every=1000"},
                                     dir + "/train.log", SIGTERM);
  unsetenv("SSA_FAULT");
  INFO(r.err);
  CHECK(r.exit_code == 143);
  CHECK(r.err.find("stopped during start-up") == std::string::npos);
  CHECK(r.err.find("stopped at step 1 (SIGTERM") != std::string::npos);
  CHECK(newest_checkpoint_step(dir) == 1);
}

TEST_CASE("SIGUSR1 to one of two ranks stops both at the same step with one checkpoint", "[integration][stop][dist]") {
  const std::string dir = fresh_run_dir("sigusr1_ranks");
  const auto results = run_ranks(2,
                                 {kConfig, "run.dir=" + dir, "train.steps=2000", "checkpoint.every=1000",
                                  "eval.every=0", "train.micro_batch_size=0"},
                                 29750, /*kill_rank=*/1, dir + "/metrics.jsonl", SIGUSR1);
  INFO(results[0].err);
  INFO(results[1].err);
  CHECK(results[0].exit_code == 143);
  CHECK(results[1].exit_code == 143);
  CHECK(results[0].err.find("(requested on another rank)") != std::string::npos);
  CHECK(results[1].err.find("(SIGUSR1 on rank 1)") != std::string::npos);
  const auto lines = metrics_lines(dir, "train");
  REQUIRE(!lines.empty());
  CHECK(newest_checkpoint_step(dir) == std::stoll(json_field(lines.back(), "step")));
}

TEST_CASE("run.time_limit_s stops, saves and exits 143", "[integration][stop]") {
  const std::string dir = fresh_run_dir("time_limit");
  const auto r = run_ssa_train({kConfig, "run.dir=" + dir, "train.steps=100000", "checkpoint.every=100000",
                                "eval.every=0", "run.time_limit_s=2"});
  INFO(r.err);
  CHECK(r.exit_code == 143);
  CHECK(r.err.find("time limit (run.time_limit_s = 2)") != std::string::npos);
  CHECK(newest_checkpoint_step(dir) > 0);
}

TEST_CASE("a non-finite loss stops before the optimizer step, naming step and rank: the checkpoint is kept",
          "[integration][numerics]") {
  const std::string dir = fresh_run_dir("nan_loss");
  setenv("SSA_FAULT", "nan_loss@7", 1);
  const auto r = run_ssa_train({kConfig, "run.dir=" + dir, "checkpoint.every=5", "eval.every=0"});
  unsetenv("SSA_FAULT");
  INFO(r.err);
  CHECK(r.exit_code == 4);
  CHECK(r.err.find("step 7, rank 0: non-finite loss") != std::string::npos);
  CHECK(newest_checkpoint_step(dir) == 5);
  CHECK(metrics_lines(dir, "train").size() == 6);
}

TEST_CASE(
    "NaN predictions in validation, on one of two ranks with an ensemble, log null metrics with a warning "
    "naming the step, and training goes on",
    "[integration][numerics][eval]") {
  const std::string dir = fresh_run_dir("nan_eval");
  setenv("SSA_FAULT", "eval_nan@1:0", 1);  // rank 0's first validation batch, at every validation
  const auto results = run_ranks(2,
                                 {kConfig, "run.dir=" + dir, "train.steps=4", "train.lr_schedule.warmup_steps=1",
                                  "eval.every=2", "eval.batches=3", "eval.ensemble_samples=2", "checkpoint.every=4"},
                                 29760);
  unsetenv("SSA_FAULT");
  for (const auto& r : results) {
    INFO(r.err);
    CHECK(r.exit_code == 0);
  }
  CHECK(results[0].err.find("step 2: validation scores are not finite (valid_loss nan)") != std::string::npos);
  const auto evals = metrics_lines(dir, "eval");
  REQUIRE(evals.size() == 2);
  for (const auto& key : {"valid_loss", "valid_ece", "ensemble_valid_mutual_information"})
    CHECK(json_field(evals[0], key) == "null");
  CHECK(metrics_lines(dir, "train").size() == 4);  // every step trained
  CHECK(newest_checkpoint_step(dir) == 4);
}

TEST_CASE("a NaN gradient on one of two ranks stops both, naming the parameter", "[integration][numerics][dist]") {
  const std::string dir = fresh_run_dir("nan_grad_ranks");
  setenv("SSA_FAULT", "nan_grad@3:1", 1);
  const auto results = run_ranks(2, {kConfig, "run.dir=" + dir, "eval.every=0", "train.micro_batch_size=0"}, 29770);
  unsetenv("SSA_FAULT");
  INFO(results[0].err);
  CHECK(results[0].exit_code == 4);
  CHECK(results[1].exit_code == 4);
  CHECK(results[0].err.find("step 3, rank 0: non-finite gradient of embed.weight") != std::string::npos);
}

TEST_CASE("max_nonfinite_skips skips a bad step and training goes on", "[integration][numerics]") {
  const std::string dir = fresh_run_dir("nan_skip");
  setenv("SSA_FAULT", "nan_loss@3", 1);
  const auto r = run_ssa_train({kConfig, "run.dir=" + dir, "train.steps=6", "train.lr_schedule.warmup_steps=2",
                                "eval.every=0", "train.max_nonfinite_skips=1"});
  unsetenv("SSA_FAULT");
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.err.find("step skipped (1 of at most 1 in a row, 1 of at most 20 in the run)") != std::string::npos);
}

TEST_CASE("max_nonfinite_skips_total bounds the skips of the whole run, and a resume does not reset it",
          "[integration][numerics]") {
  const std::string dir = fresh_run_dir("nan_skip_total");
  const std::vector<std::string> args{kConfig,
                                      "run.dir=" + dir,
                                      "train.steps=8",
                                      "train.lr_schedule.warmup_steps=2",
                                      "eval.every=0",
                                      "checkpoint.every=3",
                                      "train.max_nonfinite_skips=1",
                                      "train.max_nonfinite_skips_total=1"};
  setenv("SSA_FAULT", "nan_loss@2,kill@5", 1);  // one skip, a checkpoint at step 3, then a kill -9
  const auto killed = run_ssa_train(args);
  INFO(killed.err);
  REQUIRE(killed.exit_code == 128 + SIGKILL);
  REQUIRE(killed.err.find("step skipped (1 of at most 1 in a row, 1 of at most 1 in the run)") != std::string::npos);
  setenv("SSA_FAULT", "nan_loss@6", 1);  // a second bad step after the resume: over the budget
  const auto resumed = run_ssa_train(args);
  unsetenv("SSA_FAULT");
  INFO(resumed.err);
  CHECK(resumed.exit_code == 4);
  CHECK(resumed.err.find("step 6, rank 0: non-finite loss") != std::string::npos);
  CHECK(resumed.err.find("the run has skipped 1 such steps already (train.max_nonfinite_skips_total)") !=
        std::string::npos);
  const auto lines = metrics_lines(dir, "train");
  REQUIRE(lines.size() == 5);  // steps 1-3, then 4-5 again after the resume
  CHECK(json_field(lines[0], "skipped_steps") == "0");
  CHECK(json_field(lines[1], "skipped") == "1");
  CHECK(json_field(lines[1], "skipped_steps") == "1");
  CHECK(json_field(lines[4], "skipped_steps") == "1");  // counted from the checkpoint
}

TEST_CASE("a failed checkpoint write exits 74 and keeps the previous checkpoint", "[integration][io]") {
  const std::string dir = fresh_run_dir("save_error");
  setenv("SSA_FAULT", "save_error@10", 1);
  const auto r = run_ssa_train({kConfig, "run.dir=" + dir, "checkpoint.every=5", "eval.every=0"});
  unsetenv("SSA_FAULT");
  CHECK(r.exit_code == 74);
  CHECK(newest_checkpoint_step(dir) == 5);
}

TEST_CASE(
    "a disk filling up in the middle of a save exits 74, leaves no partial checkpoint and keeps the "
    "previous one: the resumed run continues from it",
    "[integration][io]") {
  const std::string dir = fresh_run_dir("disk_full");
  const std::vector<std::string> args{kConfig,        "run.dir=" + dir, "checkpoint.every=5",
                                      "eval.every=0", "train.steps=15", "checkpoint.retry_wait_s=0.1"};
  setenv("SSA_FAULT", "save_error@10/4096", 1);  // model.safetensors of step 10 stops at byte 4096
  const auto r = run_ssa_train(args);
  unsetenv("SSA_FAULT");
  INFO(r.err);
  CHECK(r.exit_code == 74);
  CHECK(r.err.find("step_00000010.tmp") != std::string::npos);
  CHECK(r.err.find("(3 attempts)") != std::string::npos);  // a full disk stays full: every retry fails
  CHECK(newest_checkpoint_step(dir) == 5);
  CHECK_FALSE(fs::exists(dir + "/checkpoints/step_00000010.tmp"));
  const auto resumed = run_ssa_train(args);
  INFO(resumed.err);
  CHECK(resumed.exit_code == 0);
  CHECK(resumed.err.find("resumed from " + dir + "/checkpoints/step_00000005") != std::string::npos);
  CHECK(newest_checkpoint_step(dir) == 15);
}

TEST_CASE("transient I/O errors during a save are retried and the run goes on unchanged", "[integration][io]") {
  const auto args = [](const std::string& dir) {
    return std::vector<std::string>{kConfig,        "run.dir=" + dir, "checkpoint.every=5",
                                    "eval.every=5", "train.steps=15", "checkpoint.retry_wait_s=0.1"};
  };
  const std::string straight = fresh_run_dir("flaky_straight");
  REQUIRE(run_ssa_train(args(straight)).exit_code == 0);
  const std::string dir = fresh_run_dir("flaky");
  setenv("SSA_FAULT", "save_flaky@10/2", 1);  // attempts 1 and 2 fail, the third (of 3) succeeds
  const auto r = run_ssa_train(args(dir));
  unsetenv("SSA_FAULT");
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(fs::exists(dir + "/checkpoints/step_00000010/COMPLETE"));
  CHECK_FALSE(fs::exists(dir + "/checkpoints/step_00000010.tmp"));
  CHECK(r.err.find("injected I/O error (SSA_FAULT save_flaky) (attempt 1 of 3); retrying in 0.1 s") != std::string::npos);
  CHECK(r.err.find("(attempt 2 of 3); retrying in 0.2 s") != std::string::npos);
  CHECK(r.err.find("attempt 3 of 3") == std::string::npos);
  CHECK(metrics_fingerprint(dir) == metrics_fingerprint(straight));

  SECTION("as many failures as attempts end the run with 74, keeping the previous checkpoint") {
    const std::string failed = fresh_run_dir("flaky_fails");
    setenv("SSA_FAULT", "save_flaky@10/3", 1);
    const auto r = run_ssa_train(args(failed));
    unsetenv("SSA_FAULT");
    CHECK(r.exit_code == 74);
    CHECK(r.err.find("(3 attempts)") != std::string::npos);
    CHECK(newest_checkpoint_step(failed) == 5);
    CHECK_FALSE(fs::exists(failed + "/checkpoints/step_00000010.tmp"));
  }
}

TEST_CASE("a disk without room for one checkpoint is refused before training, on every rank", "[integration][io]") {
  const std::string dir = fresh_run_dir("no_space");
  setenv("SSA_FAULT", "free_space@0/1000", 1);
  const auto results = run_ranks(2, {kConfig, "run.dir=" + dir}, 29799);
  unsetenv("SSA_FAULT");
  INFO(results[0].err);
  CHECK(results[0].exit_code == 74);
  CHECK(results[0].err.find("0.0 MB free, but one checkpoint of this model needs about") != std::string::npos);
  CHECK(results[1].exit_code == 74);
  CHECK(results[1].err.find("checking free disk space failed on rank 0; see its error") != std::string::npos);
  CHECK(metrics_lines(dir).empty());
}

TEST_CASE(
    "killed in the middle of writing a checkpoint or before its rename: the resumed run starts from the "
    "newest complete one and ends bitwise like an uninterrupted run",
    "[integration][io][resume]") {
  const auto args = [](const std::string& dir) {
    return std::vector<std::string>{kConfig, "run.dir=" + dir, "checkpoint.every=5", "eval.every=5", "train.steps=15"};
  };
  const std::string straight = fresh_run_dir("save_kill_straight");
  REQUIRE(run_ssa_train(args(straight)).exit_code == 0);
  // Byte offsets inside the safetensors header, the tensor data of model.safetensors, and
  // optimizer.safetensors (each file of the step-10 checkpoint is cut there), then kill_trials() offsets
  // drawn with a fixed seed from the size of the largest file (goal R5).
  std::vector<int64_t> offsets{100, 20000, 600000};
  const auto largest = static_cast<int64_t>(
      fs::file_size(straight + "/checkpoints/step_00000010/optimizer.safetensors"));
  std::mt19937 rng(5);
  for (int trial = 0; trial < kill_trials(); ++trial)
    offsets.push_back(std::uniform_int_distribution<int64_t>(1, largest - 1)(rng));
  for (const int64_t byte : offsets) {
    INFO("killed at byte " << byte);
    const std::string dir = fresh_run_dir("save_kill_" + std::to_string(byte));
    setenv("SSA_FAULT", ("save_kill@10/" + std::to_string(byte)).c_str(), 1);
    const auto killed = run_ssa_train(args(dir));
    unsetenv("SSA_FAULT");
    CHECK(killed.exit_code == 128 + SIGXFSZ);
    CHECK(newest_checkpoint_step(dir) == 5);
    const auto resumed = run_ssa_train(args(dir));
    INFO(resumed.err);
    REQUIRE(resumed.exit_code == 0);
    CHECK(resumed.err.find("resumed from " + dir + "/checkpoints/step_00000005") != std::string::npos);
    CHECK(resumed.err.find("deleted unfinished checkpoint " + dir + "/checkpoints/step_00000010.tmp") !=
          std::string::npos);  // at start, not only when step 10 is saved again
    CHECK_FALSE(fs::exists(dir + "/checkpoints/step_00000010.tmp"));
    CHECK(metrics_fingerprint(dir) == metrics_fingerprint(straight));
  }
  {  // killed after COMPLETE is written and synced, before the rename: still unfinished
    INFO("killed before the rename");
    const std::string dir = fresh_run_dir("save_kill_renaming");
    setenv("SSA_FAULT", "save_kill_renaming@10", 1);
    const auto killed = run_ssa_train(args(dir));
    unsetenv("SSA_FAULT");
    CHECK(killed.exit_code == 128 + SIGKILL);
    CHECK(fs::exists(dir + "/checkpoints/step_00000010.tmp/COMPLETE"));  // whole, but not under its final name
    CHECK(newest_checkpoint_step(dir) == 5);
    const auto resumed = run_ssa_train(args(dir));
    INFO(resumed.err);
    REQUIRE(resumed.exit_code == 0);
    CHECK(resumed.err.find("resumed from " + dir + "/checkpoints/step_00000005") != std::string::npos);
    CHECK_FALSE(fs::exists(dir + "/checkpoints/step_00000010.tmp"));
    CHECK(metrics_fingerprint(dir) == metrics_fingerprint(straight));
  }
}

TEST_CASE("a failed save on rank 0 ends both ranks at once with exit 74", "[integration][io][dist]") {
  const std::string dir = fresh_run_dir("save_error_ranks");
  setenv("SSA_FAULT", "save_error@10/4096", 1);
  const auto results = run_ranks(2,
                                 {kConfig, "run.dir=" + dir, "checkpoint.every=5", "eval.every=0", "dist.timeout_s=60",
                                  "checkpoint.retry_wait_s=0.1"},
                                 29790);
  unsetenv("SSA_FAULT");
  for (const auto& r : results) {
    INFO(r.err);
    CHECK(r.exit_code == 74);
  }
  CHECK(results[1].err.find("writing the checkpoint of step 10 failed on rank 0; see its error") != std::string::npos);
  CHECK(newest_checkpoint_step(dir) == 5);
}

TEST_CASE("dynamic loss scaling skips an overflowing step, backs off, grows, and training goes on",
          "[integration][precision]") {
  const std::string dir = fresh_run_dir("loss_scale");
  setenv("SSA_FAULT", "nan_grad@3", 1);
  const auto r = run_ssa_train({kConfig, "run.dir=" + dir, "train.steps=8", "train.lr_schedule.warmup_steps=2",
                                "eval.every=0", "train.loss_scale.mode=dynamic", "train.loss_scale.init=1024",
                                "train.loss_scale.growth_interval=4"});
  unsetenv("SSA_FAULT");
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const auto lines = metrics_lines(dir, "train");
  REQUIRE(lines.size() == 8);
  CHECK(json_number(lines[1], "loss_scale") == 1024);
  CHECK(json_field(lines[2], "skipped") == "1");
  CHECK(json_number(lines[2], "loss_scale") == 512);
  CHECK(json_number(lines[6], "loss_scale") == 1024);  // 4 good steps (4..7) later it grows
  CHECK(std::isfinite(json_number(lines[7], "loss")));
}

// The skip decision must be the same on every rank, or the replicas part: an overflow on rank 1
// only reaches rank 0 through the gradient all-reduce, and both skip, back off and go on together.
TEST_CASE("2 ranks: an overflow on one rank makes both skip the step and halve the scale, replicas stay equal",
          "[integration][precision][dist]") {
  const std::string dir = fresh_run_dir("loss_scale_ranks");
  setenv("SSA_FAULT", "nan_grad@3:1", 1);
  const auto results = run_ranks(
      2,
      {kConfig, "run.dir=" + dir, "train.steps=8", "train.lr_schedule.warmup_steps=2", "eval.every=0",
       "checkpoint.every=4", "train.micro_batch_size=0", "train.loss_scale.mode=dynamic", "train.loss_scale.init=1024"},
      29835);
  unsetenv("SSA_FAULT");
  INFO(results[0].err << results[1].err);
  REQUIRE(results[0].exit_code == 0);
  REQUIRE(results[1].exit_code == 0);
  const auto lines = metrics_lines(dir, "train");
  REQUIRE(lines.size() == 8);
  CHECK(json_field(lines[2], "skipped") == "1");
  CHECK(json_number(lines[2], "loss_scale") == 512);
  CHECK(json_field(lines[3], "skipped") == "0");
  // The replica check at each checkpoint (steps 4 and 8) found the parameters bitwise equal.
  CHECK(results[0].err.find("step 8: parameters bitwise identical on 2 ranks") != std::string::npos);
}

TEST_CASE("bf16 autocast on CPU trains and the loss falls", "[integration][precision]") {
  const std::string dir = fresh_run_dir("bf16");
  const auto r = run_ssa_train({kConfig, "run.dir=" + dir, "run.precision=bf16", "eval.every=0"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.err.find("precision: bf16") != std::string::npos);
  const auto lines = metrics_lines(dir, "train");
  REQUIRE(lines.size() == 40);
  CHECK(json_number(lines[0], "loss") > json_number(lines[39], "loss") + 0.5);
}
