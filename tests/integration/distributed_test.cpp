// Data parallelism over Gloo with real processes: replicas stay bitwise identical, 2 ranks with
// half the batch each match 1 rank with the whole batch, the all-reduce overlapped with backward
// equals the one after it, a killed rank ends the job quickly with a clear non-zero exit on
// the survivors, a rank slow to load its data is waited for (dist.load_timeout_s), and a
// checkpoint resumes on another number of ranks.
#include "tests/support/catch.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <utility>

#include "tests/support/run_binary.h"

using namespace ssa::test;
namespace fs = std::filesystem;

namespace {

const std::string kConfig = source_path("configs/test/tiny_decoder.yaml");

// Dense attention and no dropout: the data-parallel result then depends only on the data split.
std::vector<std::string> dense_args(const std::string& dir) {
  return {kConfig,
          "run.dir=" + dir,
          "model.dropout=0",
          "train.phases.0.attention=dense",
          "train.steps=12",
          "train.lr_schedule.warmup_steps=2",
          "checkpoint.every=6",
          "eval.every=6",
          "train.micro_batch_size=0"};
}

// Rank 0's replica-check line of `step`, from "(fingerprint " to the end of the line; "" if absent.
std::string replica_check(const std::string& log, int step) {
  const std::string marker = "step " + std::to_string(step) + ": parameters bitwise identical on 2 ranks (fingerprint ";
  const size_t at = log.find(marker);
  if (at == std::string::npos) return "";
  const size_t begin = at + marker.size();
  return log.substr(begin, log.find('\n', begin) - begin);
}

// ssa-train run alone as rank `rank` of a 2-rank torchrun-style job with its master on
// 127.0.0.1:port (the other rank never starts), and the seconds it took.
std::pair<RunResult, double> run_alone_as_rank(int rank, int port, const std::vector<std::string>& args) {
  const std::map<std::string, std::string> env{{"RANK", std::to_string(rank)},
                                               {"LOCAL_RANK", std::to_string(rank)},
                                               {"WORLD_SIZE", "2"},
                                               {"MASTER_ADDR", "127.0.0.1"},
                                               {"MASTER_PORT", std::to_string(port)}};
  for (const auto& [name, value] : env) setenv(name.c_str(), value.c_str(), 1);
  const auto start = std::chrono::steady_clock::now();
  RunResult r = run_ssa_train(args);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  for (const auto& entry : env) unsetenv(entry.first.c_str());
  return {r, seconds};
}

}  // namespace

TEST_CASE("2 and 4 Gloo ranks keep parameters bitwise identical, with SSA and dropout on", "[integration][dist]") {
  for (const int world : {2, 4}) {
    const std::string dir = fresh_run_dir("ddp_identical_" + std::to_string(world));
    const auto results = run_ranks(world,
                                   {kConfig, "run.dir=" + dir, "train.steps=12", "checkpoint.every=4",
                                    "train.micro_batch_size=2", "eval.every=0", "train.lr_schedule.warmup_steps=2"},
                                   29710 + world);
    for (const auto& r : results) {
      INFO(r.err);
      REQUIRE(r.exit_code == 0);
    }
    // Rank 0 compares all ranks' parameter fingerprints at every checkpoint (steps 4, 8, 12).
    size_t checks = 0;
    for (size_t at = 0;
         (at = results[0].err.find("bitwise identical on " + std::to_string(world) + " ranks", at)) != std::string::npos;
         ++at) {
      ++checks;
    }
    CHECK(checks == 3);
    CHECK(metrics_lines(dir, "train").size() == 12);
  }
}

TEST_CASE("gradient accumulation: 4 micro-batches give the losses of one whole batch, SSA on", "[integration][dist]") {
  // Every micro-batch of a step sees the same SSA sources; without dropout only the summation
  // order of the gradients differs.
  const auto args = [](const std::string& dir, const std::string& micro) {
    return std::vector<std::string>{kConfig,
                                    "run.dir=" + dir,
                                    "model.dropout=0",
                                    "train.steps=16",
                                    "train.lr_schedule.warmup_steps=2",
                                    "checkpoint.every=0",
                                    "eval.every=0",
                                    "train.micro_batch_size=" + micro};
  };
  const std::string whole = fresh_run_dir("accumulate_whole"), parts = fresh_run_dir("accumulate_parts");
  REQUIRE(run_ssa_train(args(whole, "0")).exit_code == 0);
  REQUIRE(run_ssa_train(args(parts, "2")).exit_code == 0);
  const auto a = metrics_lines(whole, "train"), b = metrics_lines(parts, "train");
  REQUIRE(a.size() == 16);
  REQUIRE(b.size() == 16);
  CHECK(json_number(a[3], "attention_fraction") < 1.0);  // SSA in these steps
  for (size_t i = 0; i < a.size(); ++i) {
    INFO("step " << i + 1);
    CHECK(json_number(b[i], "loss") == Approx(json_number(a[i], "loss")).epsilon(1e-5));
    CHECK(json_number(b[i], "grad_norm") == Approx(json_number(a[i], "grad_norm")).epsilon(1e-4));
  }
}

TEST_CASE("2 ranks with half the batch each match 1 rank with the whole batch", "[integration][dist]") {
  const std::string one = fresh_run_dir("ddp_one_rank"), two = fresh_run_dir("ddp_two_ranks");
  REQUIRE(run_ssa_train(dense_args(one)).exit_code == 0);
  for (const auto& r : run_ranks(2, dense_args(two), 29720)) {
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
  }
  const auto a = metrics_lines(one, "train"), b = metrics_lines(two, "train");
  REQUIRE(a.size() == 12);
  REQUIRE(b.size() == 12);
  for (size_t i = 0; i < a.size(); ++i) {
    CHECK(json_number(b[i], "loss") == Approx(json_number(a[i], "loss")).epsilon(1e-6));
    CHECK(json_number(b[i], "grad_norm") == Approx(json_number(a[i], "grad_norm")).epsilon(1e-5));
  }
  const auto ea = metrics_lines(one, "eval"), eb = metrics_lines(two, "eval");
  REQUIRE(ea.size() == eb.size());
  CHECK(json_number(eb.back(), "valid_loss") == Approx(json_number(ea.back(), "valid_loss")).epsilon(1e-6));
}

TEST_CASE(
    "all-reduce started from gradient hooks during backward gives bitwise the gradients of the all-reduce "
    "after backward",
    "[integration][dist]") {
  // Small buckets so many start inside backward; 2 micro-batches so the hooks must add what the
  // first micro-batch left in .grad; SSA and dropout on.
  const auto run = [](const std::string& name, bool overlap, int port) {
    const std::string dir = fresh_run_dir(name);
    const auto results = run_ranks(
        2,
        {kConfig, "run.dir=" + dir, "train.steps=6", "checkpoint.every=6", "eval.every=0", "train.micro_batch_size=2",
         "dist.bucket_mb=0.05", std::string("dist.overlap=") + (overlap ? "true" : "false")},
        port);
    for (const auto& r : results) {
      INFO(r.err);
      REQUIRE(r.exit_code == 0);
    }
    return results[0].err;
  };
  const auto fingerprint_and_buckets = [](const std::string& log) {
    const std::string line = replica_check(log, 6);
    REQUIRE(!line.empty());
    return std::make_pair(line.substr(0, 16), line.substr(line.find("last step started")));
  };
  const auto [overlapped, overlapped_buckets] = fingerprint_and_buckets(run("ddp_overlap_on", true, 29744));
  const auto [after, after_buckets] = fingerprint_and_buckets(run("ddp_overlap_off", false, 29746));
  INFO(overlapped_buckets << " / " << after_buckets);
  CHECK(overlapped == after);
  CHECK(after_buckets.rfind("last step started 0 of ", 0) == 0);
  CHECK(overlapped_buckets.rfind("last step started 0 of ", 0) == std::string::npos);
}

TEST_CASE("a killed rank ends the job quickly with a non-zero exit on the others", "[integration][dist]") {
  const std::string dir = fresh_run_dir("ddp_killed");
  const auto start = std::chrono::steady_clock::now();
  const auto results = run_ranks(
      2, {kConfig, "run.dir=" + dir, "dist.timeout_s=5", "train.steps=400", "checkpoint.every=5", "eval.every=0"},
      29730, /*kill_rank=*/1, dir + "/checkpoints/step_00000005/COMPLETE");
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  INFO(results[0].err);
  CHECK(results[1].exit_code == 128 + 9);
  CHECK(results[0].exit_code == 5);
  CHECK(results[0].err.find("rank 0/2") != std::string::npos);
  CHECK(seconds < 60);
}

TEST_CASE("a rank whose peers never start exits 5 within dist.timeout_s, naming itself and the master",
          "[integration][dist]") {
  // Rank 0 waits for a rank 1 that never comes; rank 1 alone finds no master to connect to.
  for (const char* rank : {"0", "1"}) {
    const std::string dir = fresh_run_dir(std::string("ddp_alone_") + rank);
    const auto [r, seconds] = run_alone_as_rank(std::stoi(rank), 29735, {kConfig, "run.dir=" + dir, "dist.timeout_s=3"});
    INFO(r.err);
    CHECK(r.exit_code == 5);
    CHECK(r.err.find(std::string("rank ") + rank +
                     "/2 (torchrun, master 127.0.0.1:29735): rendezvous failed within 3 s") != std::string::npos);
    CHECK(r.err.find("is every rank started?") != std::string::npos);
    CHECK(seconds < 30);
    CHECK_FALSE(fs::exists(dir));  // nothing written
  }
}

TEST_CASE("rank 0 finding MASTER_PORT taken by another process exits 5 at once, naming the port",
          "[integration][dist]") {
  const int taken = ::socket(AF_INET, SOCK_STREAM, 0);  // another job's rendezvous, as far as rank 0 can tell
  REQUIRE(taken >= 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(29736);
  address.sin_addr.s_addr = htonl(INADDR_ANY);
  REQUIRE(::bind(taken, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0);
  REQUIRE(::listen(taken, 1) == 0);
  const std::string dir = fresh_run_dir("ddp_port_taken");
  const auto [r, seconds] = run_alone_as_rank(0, 29736, {kConfig, "run.dir=" + dir, "dist.timeout_s=60"});
  ::close(taken);
  INFO(r.err);
  CHECK(r.exit_code == 5);
  CHECK(r.err.find("rank 0/2 (torchrun, master 127.0.0.1:29736): cannot serve the rendezvous: port 29736 is in use "
                   "on this host (another job?); set another MASTER_PORT") != std::string::npos);
  CHECK(seconds < 30);  // not the 60 s of dist.timeout_s
  CHECK_FALSE(fs::exists(dir));
}

TEST_CASE("replicas that diverge are caught at the next check, naming the ranks, and every rank exits 5",
          "[integration][dist]") {
  const std::string dir = fresh_run_dir("ddp_diverged");
  setenv("SSA_FAULT", "diverge@3:1", 1);  // after step 3, one parameter of rank 1 changes
  const auto results = run_ranks(
      2,
      {kConfig, "run.dir=" + dir, "train.steps=10", "checkpoint.every=0", "eval.every=0", "dist.check_replicas_every=1"},
      29733);
  unsetenv("SSA_FAULT");
  INFO(results[0].err);
  CHECK(results[0].exit_code == 5);
  CHECK(results[1].exit_code == 5);
  CHECK(results[0].err.find("step 2: parameters bitwise identical on 2 ranks") != std::string::npos);
  CHECK(results[0].err.find("step 3: parameters of rank 1 differ from rank 0; the replicas diverged") !=
        std::string::npos);
  CHECK(results[1].err.find("step 3: parameters of rank 0 differ from rank 1") != std::string::npos);
  CHECK(metrics_lines(dir, "train").size() == 3);
}

TEST_CASE("a rank that loads its data later than dist.timeout_s is waited for, up to dist.load_timeout_s",
          "[integration][dist]") {
  const auto args = [](const std::string& dir, const std::string& load_timeout_s) {
    return std::vector<std::string>{kConfig,
                                    "run.dir=" + dir,
                                    "dist.timeout_s=2",
                                    "dist.load_timeout_s=" + load_timeout_s,
                                    "train.steps=3",
                                    "train.lr_schedule.warmup_steps=1",
                                    "checkpoint.every=0",
                                    "eval.every=0"};
  };
  setenv("SSA_FAULT", "slow_load@0/4000:1", 1);  // rank 1 finishes loading 4 s after rank 0
  const std::string dir = fresh_run_dir("ddp_slow_load"), impatient = fresh_run_dir("ddp_slow_load_impatient");
  const auto waited = run_ranks(2, args(dir, "60"), 29740);
  const auto gave_up = run_ranks(2, args(impatient, "1"), 29741);
  unsetenv("SSA_FAULT");
  INFO(waited[0].err);
  CHECK(waited[0].exit_code == 0);
  CHECK(waited[1].exit_code == 0);
  CHECK(metrics_lines(dir, "train").size() == 3);
  INFO(gave_up[0].err);
  CHECK(gave_up[0].exit_code == 5);
  CHECK(gave_up[1].exit_code == 5);
  CHECK(gave_up[0].err.find("agreement failed (a rank died or did not answer within 1 s)") != std::string::npos);
  CHECK_FALSE(fs::exists(impatient));
}

TEST_CASE(
    "2 ranks: SIGKILL after a checkpoint, resume, and the final parameters are bitwise those of an "
    "uninterrupted run",
    "[integration][dist][resume]") {
  // SSA and dropout on, so per-rank sampler and dropout streams must both be restored per rank.
  const auto args = [](const std::string& dir) {
    return std::vector<std::string>{kConfig,           "run.dir=" + dir,
                                    "train.steps=12",  "checkpoint.every=4",
                                    "eval.every=0",    "train.lr_schedule.warmup_steps=2",
                                    "dist.timeout_s=5"};
  };
  const auto final_fingerprint = [](const std::string& log) {
    const std::string line = replica_check(log, 12);
    return line.empty() ? std::string("none") : line.substr(0, 16);
  };
  const std::string straight = fresh_run_dir("ddp_resume_straight"), killed = fresh_run_dir("ddp_resume_killed");
  const auto a = run_ranks(2, args(straight), 29760);
  REQUIRE(a[0].exit_code == 0);
  const auto interrupted = run_ranks(2, args(killed), 29761, /*kill_rank=*/0,
                                     killed + "/checkpoints/step_00000004/COMPLETE");
  REQUIRE(interrupted[0].exit_code == 128 + 9);
  const auto b = run_ranks(2, args(killed), 29762);
  INFO(b[0].err);
  REQUIRE(b[0].exit_code == 0);
  CHECK(b[0].err.find("resumed from") != std::string::npos);
  CHECK(final_fingerprint(a[0].err) != "none");
  CHECK(final_fingerprint(b[0].err) == final_fingerprint(a[0].err));
}

TEST_CASE("a checkpoint resumes on a different number of ranks with the same data and the same losses",
          "[integration][dist][resume]") {
  // The data position is global and the global batch stays train.batch_size, so 2 -> 1 and 1 -> 2
  // ranks consume the same examples; with dense attention and no dropout the losses then match the
  // uninterrupted 1-rank run up to summation order (not bitwise: the reductions differ).
  const auto args = [](const std::string& dir) {
    auto a = dense_args(dir);
    a.push_back("dist.timeout_s=5");
    return a;
  };
  const std::string reference = fresh_run_dir("world_change_reference");
  REQUIRE(run_ssa_train(args(reference)).exit_code == 0);
  const auto expected = metrics_lines(reference, "train");
  REQUIRE(expected.size() == 12);
  const auto check_matches_reference = [&](const std::string& dir) {
    const auto lines = metrics_lines(dir, "train");
    REQUIRE(lines.size() == 12);  // every step exactly once
    for (size_t i = 0; i < lines.size(); ++i) {
      CHECK(json_number(lines[i], "targets") == json_number(expected[i], "targets"));
      CHECK(json_number(lines[i], "loss") == Approx(json_number(expected[i], "loss")).epsilon(1e-6));
    }
    CHECK(json_number(metrics_lines(dir, "eval").back(), "valid_loss") ==
          Approx(json_number(metrics_lines(reference, "eval").back(), "valid_loss")).epsilon(1e-6));
  };
  const std::string checkpoint = "/checkpoints/step_00000006/COMPLETE";

  const std::string shrunk = fresh_run_dir("world_change_2_to_1");
  REQUIRE(run_ranks(2, args(shrunk), 29795, /*kill_rank=*/0, shrunk + checkpoint)[0].exit_code == 128 + 9);
  const auto on_one = run_ssa_train(args(shrunk));
  INFO(on_one.err);
  REQUIRE(on_one.exit_code == 0);
  CHECK(on_one.err.find("resumed from") != std::string::npos);
  check_matches_reference(shrunk);

  const std::string grown = fresh_run_dir("world_change_1_to_2");
  REQUIRE(run_and_kill_when(args(grown), grown + checkpoint));
  const auto on_two = run_ranks(2, args(grown), 29797);
  INFO(on_two[1].err);
  REQUIRE(on_two[0].exit_code == 0);
  REQUIRE(on_two[1].exit_code == 0);
  CHECK(on_two[1].err.find("written by 1 ranks; rank 1 starts fresh random streams") != std::string::npos);
  check_matches_reference(grown);
}
