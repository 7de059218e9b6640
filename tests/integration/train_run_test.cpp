// End-to-end runs of the real binary on configs/test/tiny_decoder.yaml: the loss falls, the
// phases switch, outputs are complete, a SIGKILLed run resumes to bitwise-identical losses
// (across the dense fine-tune boundary) and its TensorBoard events show each step once, eval
// reproduces the logged validation loss, sample continues text, run.init_from starts a fine-tune
// from the weights, and secrets in the environment stay out of every output.
#include "tests/support/catch.h"

#include <algorithm>
#include <csignal>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <thread>

#include "tests/support/run_binary.h"
#include "tests/support/text_io.h"

using namespace ssa::test;
namespace fs = std::filesystem;

namespace {

const std::string kConfig = source_path("configs/test/tiny_decoder.yaml");

std::vector<std::string> train_args(const std::string& dir) { return {kConfig, "run.dir=" + dir}; }

// The scalars TensorBoard shows for a run directory, as scripts/read_tfevents.py reads them:
// one JSON line per (step, tag).
std::vector<std::string> tensorboard_scalars(const std::string& dir) {
  std::istringstream out(
      command_output("/usr/bin/python3 " + source_path("scripts/read_tfevents.py") + " " + dir + "/tensorboard"));
  std::vector<std::string> lines;
  for (std::string line; std::getline(out, line);) lines.push_back(line);
  return lines;
}

}  // namespace

TEST_CASE("a short run learns, switches to dense fine-tune and writes its outputs", "[integration][train]") {
  // Catch enters this test case once per section; the run is trained on the first entry only,
  // and every section reads it without changing it.
  static const std::string dir = fresh_run_dir("learns");
  static const RunResult r = run_ssa_train(train_args(dir));
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const auto train = metrics_lines(dir, "train");
  REQUIRE(train.size() == 40);
  double first = 0, last = 0;
  for (int i = 0; i < 5; ++i) first += json_number(train[i], "loss") / 5;
  for (int i = 35; i < 40; ++i) last += json_number(train[i], "loss") / 5;
  CHECK(first > last + 0.5);
  CHECK(json_field(train[29], "phase") == "\"ssa\"");
  CHECK(json_number(train[29], "attention_fraction") == Approx(0.25));
  CHECK(json_field(train[30], "phase") == "\"finetune\"");
  CHECK(json_number(train[30], "attention_fraction") == Approx(1.0));
  const auto evals = metrics_lines(dir, "eval");
  REQUIRE(evals.size() == 2);
  CHECK(json_number(evals[1], "valid_loss") < json_number(evals[0], "valid_loss"));
  CHECK(json_number(evals[1], "valid_loss") < 0.7 * std::log(256.0));
  CHECK(fs::exists(dir + "/config.resolved.yaml"));
  CHECK(fs::exists(dir + "/train.log"));
  {
    std::ifstream log(dir + "/train.log");
    std::string first;
    std::getline(log, first);
    CHECK(first.find(run_ssa_train({"--version"}).out.substr(0, 30)) != std::string::npos);  // the build, first
    std::string second;
    std::getline(log, second);
    CHECK(second.find("config " + kConfig + " with run.dir=" + dir) != std::string::npos);  // then the command
  }
  CHECK(fs::exists(dir + "/checkpoints/step_00000040/COMPLETE"));
  CHECK(fs::exists(dir + "/checkpoints/step_00000030/COMPLETE"));
  CHECK_FALSE(fs::exists(dir + "/checkpoints/step_00000020"));  // keep_last: 2

  SECTION("re-running a finished run does nothing and says so") {
    const auto again = run_ssa_train(train_args(dir));
    REQUIRE(again.exit_code == 0);
    CHECK(again.err.find("already complete at step 40") != std::string::npos);
    CHECK(metrics_lines(dir, "train").size() == 40);
  }
  SECTION("eval on the final checkpoint reproduces the logged validation loss") {
    const auto e = run_ssa_train({"eval", kConfig, "--checkpoint", dir, "run.dir=" + dir});
    INFO(e.err);
    REQUIRE(e.exit_code == 0);
    CHECK(json_field(e.out, "step") == "40");
    CHECK(json_number(e.out, "loss") == Approx(json_number(evals[1], "valid_loss")).epsilon(1e-9));
  }
  SECTION("eval with sliding context and a self-ensemble reports both, and the Fig. 7 table") {
    const std::string table = dir + "/ensemble.md";
    const auto e = run_ssa_train({"eval", kConfig, "--checkpoint", dir, "--table", table, "run.dir=" + dir,
                                  "eval.context=48", "eval.ensemble_samples=4"});
    INFO(e.err);
    REQUIRE(e.exit_code == 0);
    std::vector<std::string> lines;
    for (size_t at = 0, end; (end = e.out.find('\n', at)) != std::string::npos; at = end + 1) {
      lines.push_back(e.out.substr(at, end - at));
    }
    REQUIRE(lines.size() == 4);  // dense, then ensembles of 1, 2 and 4 samples
    CHECK(json_field(lines[0], "mode") == "\"dense\"");
    CHECK(json_field(lines[3], "samples") == "4");
    CHECK(json_field(lines[0], "context") == "48");
    for (const auto& l : lines) CHECK(std::isfinite(json_number(l, "loss")));
    // Averaging the probabilities of 4 samples beats one sample (the paper's Fig. 7 trend).
    CHECK(json_number(lines[3], "loss") < json_number(lines[1], "loss"));
    const std::string text = read_file(table);
    CHECK(text.find("| dense |") != std::string::npos);
    CHECK(text.find("| 4 |") != std::string::npos);
  }
  SECTION("sample continues a prompt from the trained model, the same text for the same seed") {
    const std::vector<std::string> args{"sample",        kConfig, "--checkpoint",  dir,   "--prompt", "The ",
                                        "--length",      "100",   "--temperature", "0.8", "--seed",   "5",
                                        "run.dir=" + dir};
    const auto a = run_ssa_train(args);
    INFO(a.err);
    REQUIRE(a.exit_code == 0);
    CHECK(a.out.size() == 4 + 100);
    CHECK(a.out.rfind("The ", 0) == 0);
    CHECK(run_ssa_train(args).out == a.out);
    auto other_seed = args;
    other_seed[11] = "6";
    CHECK(run_ssa_train(other_seed).out != a.out);
  }
  SECTION("run.init_from starts a new run from these weights: a dense fine-tune of the SSA model") {
    const std::string tuned = fresh_run_dir("init_from");
    const std::vector<std::string> args{kConfig,
                                        "run.dir=" + tuned,
                                        "run.init_from=" + dir,
                                        "train.steps=4",
                                        "train.lr_schedule.warmup_steps=1",
                                        "train.phases=[{name: finetune, fraction: 1.0, attention: dense}]"};
    const auto r = run_ssa_train(args);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(r.err.find("initialized the weights from " + dir + "/checkpoints/step_00000040") != std::string::npos);
    const auto tuned_train = metrics_lines(tuned, "train");
    REQUIRE(tuned_train.size() == 4);
    CHECK(json_number(tuned_train[0], "loss") < first - 0.5);  // not a fresh model's loss
    CHECK(json_number(tuned_train[0], "loss") == Approx(last).margin(0.3));
    CHECK(json_field(tuned_train[0], "phase") == "\"finetune\"");
    // Re-running continues from the run's own checkpoint; init_from no longer applies.
    const auto again = run_ssa_train(args);
    CHECK(again.exit_code == 0);
    CHECK(again.err.find("already complete at step 4") != std::string::npos);
  }
  SECTION("run.init_from without a checkpoint there is an input error naming the path") {
    const auto r = run_ssa_train(
        {kConfig, "run.dir=" + fresh_run_dir("init_from_missing"), "run.init_from=" + dir + "/nowhere"});
    CHECK(r.exit_code == 3);
    CHECK(r.err.find(dir + "/nowhere: no complete checkpoint here or in its checkpoints/") != std::string::npos);
  }
  SECTION("resuming with a different architecture is refused, naming the keys") {
    const auto changed = run_ssa_train({kConfig, "run.dir=" + dir, "model.d_model=32"});
    CHECK(changed.exit_code == 2);
    CHECK(changed.err.find("model.d_model: 64 -> 32") != std::string::npos);
  }
}

TEST_CASE("secrets in the environment never reach the run directory or the console", "[integration][train]") {
  const std::string dir = fresh_run_dir("secrets");
  const std::string canary = "canary-7f3a9c21e8";
  for (const char* name : {"WANDB_API_KEY", "HF_TOKEN", "AWS_SECRET_ACCESS_KEY"}) setenv(name, canary.c_str(), 1);
  const auto r = run_ssa_train(
      {kConfig, "run.dir=" + dir, "train.steps=6", "train.lr_schedule.warmup_steps=2", "log.tensorboard=true", "-v"});
  for (const char* name : {"WANDB_API_KEY", "HF_TOKEN", "AWS_SECRET_ACCESS_KEY"}) unsetenv(name);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find(canary) == std::string::npos);
  CHECK(r.err.find(canary) == std::string::npos);
  int files = 0;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    ++files;
    INFO(entry.path());
    CHECK(read_file(entry.path().string()).find(canary) == std::string::npos);
  }
  CHECK(files >= 8);  // config, metrics, log, event file, and a checkpoint's files
}

TEST_CASE("links planted at the run's temporary paths are replaced, never written through", "[integration][train]") {
  const std::string dir = fresh_run_dir("planted_links"), outside = fresh_run_dir("planted_links_victim");
  fs::create_directories(dir + "/checkpoints");
  fs::create_directories(outside + "/dir");
  std::ofstream(outside + "/file") << "precious\n";
  std::ofstream(outside + "/dir/file") << "precious\n";
  fs::create_symlink(outside + "/file", dir + "/metrics.jsonl.tmp");
  fs::create_symlink(outside + "/file", dir + "/config.resolved.yaml.tmp");
  fs::create_symlink(outside + "/dir", dir + "/checkpoints/step_00000002.tmp");
  const auto r = run_ssa_train({kConfig, "run.dir=" + dir, "train.steps=2", "train.lr_schedule.warmup_steps=1"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(read_file(outside + "/file") == "precious\n");
  CHECK(read_file(outside + "/dir/file") == "precious\n");
  CHECK(std::distance(fs::directory_iterator(outside + "/dir"), fs::directory_iterator()) == 1);
  CHECK(metrics_lines(dir, "train").size() == 2);
  CHECK(fs::exists(dir + "/checkpoints/step_00000002/COMPLETE"));

  SECTION("a link at train.log is refused, not appended through") {
    fs::remove(dir + "/train.log");
    fs::create_symlink(outside + "/file", dir + "/train.log");
    const auto refused = run_ssa_train({kConfig, "run.dir=" + dir, "train.steps=3", "train.lr_schedule.warmup_steps=1"});
    CHECK(refused.exit_code == 74);
    CHECK(refused.err.find(dir + "/train.log: is a symbolic link") != std::string::npos);
    CHECK(read_file(outside + "/file") == "precious\n");
  }
}

TEST_CASE("SIGKILL mid-run, across the fine-tune boundary, then resume: identical losses", "[integration][resume]") {
  const std::string straight = fresh_run_dir("straight");
  REQUIRE(run_ssa_train(train_args(straight)).exit_code == 0);

  const std::string killed = fresh_run_dir("killed");
  auto args = train_args(killed);
  args.push_back("log.tensorboard=true");
  REQUIRE(run_and_kill_when(args, killed + "/checkpoints/step_00000020/COMPLETE"));
  REQUIRE(run_and_kill_when(args, killed + "/checkpoints/step_00000030/COMPLETE"));
  const auto resumed = run_ssa_train(args);
  INFO(resumed.err);
  REQUIRE(resumed.exit_code == 0);
  CHECK(resumed.err.find("resumed from") != std::string::npos);
  const auto a = metrics_fingerprint(straight), b = metrics_fingerprint(killed);
  REQUIRE(a.size() == 42);
  REQUIRE(a == b);

  // Three processes wrote three event files; after TensorBoard's restart rule every train step
  // appears once with the loss metrics.jsonl kept for it.
  CHECK(std::distance(fs::directory_iterator(killed + "/tensorboard"), fs::directory_iterator()) == 3);
  std::vector<std::string> losses;
  for (const auto& l : tensorboard_scalars(killed)) {
    if (l.find("\"tag\":\"train/loss\"") != std::string::npos) losses.push_back(l);
  }
  const auto train = metrics_lines(killed, "train");
  REQUIRE(losses.size() == train.size());
  for (size_t i = 0; i < train.size(); ++i) {
    CHECK(json_field(losses[i], "step") == json_field(train[i], "step"));
    CHECK(json_number(losses[i], "value") == Approx(json_number(train[i], "loss")).epsilon(1e-6));
  }
}

TEST_CASE("a second ssa-train on a run directory in use stops with exit 2 naming the first", "[integration][train]") {
  const std::string dir = fresh_run_dir("locked");
  const std::string release = dir + ".release";  // created when the first run may be stopped
  fs::remove(release);
  const std::vector<std::string> endless{kConfig, "run.dir=" + dir, "train.steps=100000", "eval.every=0",
                                         "checkpoint.every=0"};
  RunResult first;
  std::thread running([&] { first = run_and_signal_when(endless, release, SIGTERM); });
  for (int i = 0; i < 3000 && metrics_lines(dir, "train").empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  const auto second = run_ssa_train(endless);
  auto missing_data = endless;  // the lock is checked before the data is loaded
  missing_data.push_back("data.train_paths=[" + dir + "/no_such_file]");
  const auto early = run_ssa_train(missing_data);
  std::ofstream(release) << "go\n";
  running.join();
  INFO(first.err << "\n" << second.err);
  CHECK(second.exit_code == 2);
  CHECK(second.err.find(dir + ": run directory in use by ssa-train pid ") != std::string::npos);
  CHECK(early.exit_code == 2);
  CHECK(early.err.find("run directory in use") != std::string::npos);
  CHECK(first.exit_code == 143);  // the first run was not disturbed: stopped by SIGTERM, saved
  const auto trained = metrics_lines(dir, "train").size();
  CHECK(trained >= 1);
  // Released on exit: the same directory resumes (here at its last step: already complete).
  const auto third = run_ssa_train(
      {kConfig, "run.dir=" + dir, "train.steps=" + std::to_string(trained), "train.lr_schedule.warmup_steps=0"});
  INFO(third.err);
  CHECK(third.exit_code == 0);
  CHECK(third.err.find("run already complete") != std::string::npos);
  // Another train.steps moves the phases, which are fractions of it: the resume says so.
  CHECK(third.err.find(dir + ": the training phases move on resume, from ssa [0, 75000), finetune [75000, "
                             "100000) to ssa [0, ") != std::string::npos);
}

TEST_CASE("run.resume: a path continues another run's checkpoint exactly, never refuses a used directory",
          "[integration][train][resume]") {
  const auto args = [](const std::string& dir) {
    return std::vector<std::string>{kConfig, "run.dir=" + dir, "train.steps=20", "checkpoint.every=10", "eval.every=0"};
  };
  const std::string source = fresh_run_dir("resume_source");
  REQUIRE(run_ssa_train(args(source)).exit_code == 0);
  const std::string step10 = source + "/checkpoints/step_00000010";

  // A new run directory continues from step 10 of the first: model, optimizer, data position and
  // random streams, so its steps 11..20 are the first run's.
  const std::string branch = fresh_run_dir("resume_branch");
  auto branch_args = args(branch);
  branch_args.push_back("run.resume=" + step10);
  const auto r = run_ssa_train(branch_args);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.err.find("resumed from " + step10 + " at step 10") != std::string::npos);
  const auto expected = metrics_fingerprint(source), got = metrics_fingerprint(branch);
  REQUIRE(got.size() == 11);  // steps 11..20 and the final validation
  CHECK(std::equal(got.begin(), got.end(), expected.end() - 11));
  // Once it has checkpoints of its own, the same command continues from those.
  const auto again = run_ssa_train(branch_args);
  CHECK(again.exit_code == 0);
  CHECK(again.err.find("run already complete at step 20") != std::string::npos);

  // never: a directory with checkpoints is refused, exit 2.
  auto never = args(source);
  never.push_back("run.resume=never");
  const auto refused = run_ssa_train(never);
  CHECK(refused.exit_code == 2);
  CHECK(refused.err.find("holds checkpoints, and run.resume is never") != std::string::npos);

  // A damaged checkpoint named by run.resume is an error, not skipped (last: it damages step 10).
  {
    std::fstream bytes(step10 + "/optimizer.safetensors", std::ios::in | std::ios::out | std::ios::binary);
    bytes.seekp(-3, std::ios::end);
    bytes.put('\x7f');
  }
  const std::string other = fresh_run_dir("resume_damaged");
  auto damaged = args(other);
  damaged.push_back("run.resume=" + step10);
  const auto failed = run_ssa_train(damaged);
  CHECK(failed.exit_code == 3);
  CHECK(failed.err.find(step10) != std::string::npos);
  CHECK(metrics_lines(other).empty());
}
