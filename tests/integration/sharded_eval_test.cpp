// Evaluation sharded over ranks, with the real binary: validation in a 2-rank training job and
// `ssa-train eval` on 1, 2 and 3 ranks give the same dense and ensemble numbers (uneven shards,
// and ensemble members split over ranks when there are fewer batches than ranks) for the
// decoder, Swin and EGT; only rank 0 reports; the uncertainty measures of an SSA-trained model
// are finite and in range; --per-example writes one row per target; a killed rank ends an eval
// job within dist.timeout_s.
#include "tests/support/catch.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <sstream>

#include "tests/support/run_binary.h"
#include "tests/support/text_io.h"

using namespace ssa::test;
namespace fs = std::filesystem;

namespace {

struct Case {
  std::string name, config;
  std::vector<std::string> overrides;      // short SSA training; an odd number of validation batches
  std::vector<std::string> dense_metrics;  // as logged: valid_<name>; ensembles add ensemble_metrics
  std::vector<std::string> ensemble_metrics;
};

const std::vector<Case>& cases() {
  static const std::vector<Case> all{
      {"decoder",
       "configs/test/tiny_decoder.yaml",
       {"train.steps=6", "eval.every=6", "checkpoint.every=6", "eval.batches=5", "eval.ensemble_samples=3"},
       {"bits_per_token", "perplexity", "ece", "brier", "entropy"},
       {"mutual_information"}},
      {"swin",
       "configs/test/tiny_swin.yaml",
       {"train.steps=6", "eval.every=6", "checkpoint.every=6", "eval.batches=3", "eval.batch_size=50",
        "eval.ensemble_samples=3"},
       {"accuracy", "ece", "brier", "entropy"},
       {"mutual_information"}},
      {"egt",
       "configs/test/tiny_egt.yaml",
       {"train.steps=6", "eval.every=6", "checkpoint.every=6", "eval.batch_size=50", "eval.ensemble_samples=3"},
       {"mae"},
       {"std", "std_error_spearman"}},
  };
  return all;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::vector<std::string> with(std::vector<std::string> args, const std::vector<std::string>& more) {
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

// `ssa-train eval` on `world` ranks; rank 0's output lines (dense, then ensembles of 1, 2, 3).
std::vector<std::string> eval_on_ranks(int world, const std::vector<std::string>& args, int port) {
  const auto results = run_ranks(world, args, port);
  for (const auto& r : results) {
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
  }
  for (int r = 1; r < world; ++r) CHECK(results[static_cast<size_t>(r)].out.empty());  // rank 0 speaks alone
  const auto lines = lines_of(results[0].out);
  REQUIRE(lines.size() == 4);
  return lines;
}

// Every rank count computes bitwise the same member predictions (same weights, run.threads and
// per-(batch, member) seeds) and regroups only float64 sums of one-signed terms; the mutual
// information is such a sum too (lib/train/member_ensemble.h), and the calibration bins see the
// same confidence bits, so no bin can flip. What remains is the 9 significant digits of
// metrics.jsonl and of the eval output (5e-10 relative): 1e-8, with a margin for exact zeros.
constexpr double kPrinted = 1e-8, kZero = 1e-12;

// An eval output line against the logged eval line (prefix "valid_" or "ensemble_valid_").
void check_same(const std::string& logged, const std::string& prefix, const std::string& line,
                const std::vector<std::string>& metrics) {
  CHECK(json_number(line, "loss") == Approx(json_number(logged, prefix + "loss")).epsilon(kPrinted));
  for (const auto& m : metrics) {
    INFO(prefix + m);
    CHECK(json_number(line, m) == Approx(json_number(logged, prefix + m)).epsilon(kPrinted).margin(kZero));
  }
}

// Two eval outputs (all four lines) against each other.
void check_same_lines(const std::vector<std::string>& a, const std::vector<std::string>& b,
                      const std::vector<std::string>& metrics) {
  for (size_t i = 0; i < a.size(); ++i) {
    CHECK(json_number(b[i], "loss") == Approx(json_number(a[i], "loss")).epsilon(kPrinted));
    for (const auto& m : metrics) {
      if (json_field(a[i], m).empty()) continue;
      INFO("line " << i << " " << m);
      CHECK(json_number(b[i], m) == Approx(json_number(a[i], m)).epsilon(kPrinted).margin(kZero));
    }
  }
}

// What an SSA-trained model says about its confidence is finite and in range.
void check_uncertainty_in_range(const std::string& logged) {
  for (const std::string p : {"valid_", "ensemble_valid_"}) {
    if (json_field(logged, p + "ece").empty()) continue;
    CHECK(json_number(logged, p + "ece") >= 0.0);
    CHECK(json_number(logged, p + "ece") <= 1.0);
    CHECK(json_number(logged, p + "brier") >= 0.0);
    CHECK(json_number(logged, p + "brier") <= 2.0);
    CHECK(json_number(logged, p + "entropy") > 0.0);
  }
  if (!json_field(logged, "ensemble_valid_mutual_information").empty()) {
    const double mi = json_number(logged, "ensemble_valid_mutual_information");
    CHECK(mi >= 0.0);
    CHECK(mi <= json_number(logged, "ensemble_valid_entropy"));
  }
  if (!json_field(logged, "ensemble_valid_std").empty()) {
    CHECK(json_number(logged, "ensemble_valid_std") > 0.0);
    const double rho = json_number(logged, "ensemble_valid_std_error_spearman");
    CHECK(std::isfinite(rho));
    CHECK(std::abs(rho) <= 1.0);
  }
}

// The per-example CSV: a header, one row per target, every dense field a finite number.
void check_per_example(const std::string& path, double targets) {
  const auto rows = lines_of(read_file(path));
  REQUIRE(rows.size() == static_cast<size_t>(targets) + 1);
  CHECK(rows[0].rfind("example,position,target,dense_prediction", 0) == 0);
  for (size_t i = 1; i < rows.size(); i += 97) {
    std::istringstream fields(rows[i]);
    std::string field;
    for (int column = 0; column < 4 && std::getline(fields, field, ','); ++column) {
      INFO(rows[i]);
      CHECK(std::isfinite(std::strtod(field.c_str(), nullptr)));
    }
    CHECK(std::count(rows[i].begin(), rows[i].end(), ',') == std::count(rows[0].begin(), rows[0].end(), ','));
  }
}

}  // namespace

TEST_CASE("validation and eval sharded over 1, 2 and 3 ranks give the same dense and ensemble scores",
          "[integration][dist][eval]") {
  int port = 29850;
  for (const Case& c : cases()) {
    DYNAMIC_SECTION(c.name) {
      const std::string dir = fresh_run_dir("sharded_eval_" + c.name);
      const auto train = with({source_path(c.config), "run.dir=" + dir, "dist.timeout_s=30"}, c.overrides);
      for (const auto& r : run_ranks(2, train, port++)) {
        INFO(r.err);
        REQUIRE(r.exit_code == 0);
      }
      const std::string logged = metrics_lines(dir, "eval").back();  // validated on 2 ranks
      check_uncertainty_in_range(logged);
      auto all_metrics = c.dense_metrics;
      all_metrics.insert(all_metrics.end(), c.ensemble_metrics.begin(), c.ensemble_metrics.end());
      const std::string table = dir + "/ensemble.md", examples = dir + "/examples.csv";
      const auto eval = with({"eval", source_path(c.config), "--checkpoint", dir, "run.dir=" + dir}, c.overrides);
      const auto one = eval_on_ranks(1, eval, port++);
      check_same(logged, "valid_", one[0], c.dense_metrics);
      check_same(logged, "ensemble_valid_", one[3], all_metrics);
      // Two ranks write the table and the per-example rows once; three ranks split 3 or 5 batches unevenly.
      check_same_lines(one, eval_on_ranks(2, with(eval, {"--table", table, "--per-example", examples}), port++),
                       all_metrics);
      CHECK(read_file(table).find("| 3 |") != std::string::npos);
      check_per_example(examples, json_number(logged, "valid_targets"));
      check_same_lines(one, eval_on_ranks(3, eval, port++), all_metrics);
      // Two batches on 3 ranks: batch 0 split over ranks 0 and 2, batch 1 on rank 1 alone.
      const auto two = with(eval, {"eval.batches=2"});
      check_same_lines(eval_on_ranks(1, two, port++), eval_on_ranks(3, two, port++), all_metrics);
      // One batch on 2 and 3 ranks: the ranks split its ensemble members.
      const auto single = with(eval, {"eval.batches=1"});
      const auto alone = eval_on_ranks(1, single, port++);
      check_same_lines(alone, eval_on_ranks(2, single, port++), all_metrics);
      check_same_lines(alone, eval_on_ranks(3, single, port++), all_metrics);
    }
    port += 10;
  }
}

TEST_CASE("a rank killed during a sharded eval ends the job within dist.timeout_s", "[integration][dist][eval]") {
  const std::string dir = fresh_run_dir("sharded_eval_killed");
  const std::string config = source_path("configs/test/tiny_decoder.yaml");
  const auto trained = run_ssa_train({config, "run.dir=" + dir, "train.steps=2", "train.lr_schedule.warmup_steps=1",
                                      "checkpoint.every=2", "eval.every=0"});
  INFO(trained.err);
  REQUIRE(trained.exit_code == 0);
  REQUIRE(fs::exists(dir + "/checkpoints/step_00000002/COMPLETE"));
  setenv("SSA_FAULT", "eval_kill@2:1", 1);  // rank 1 dies as it starts its first batch, batch 2
  const auto start = std::chrono::steady_clock::now();
  const auto results = run_ranks(
      2, {"eval", config, "--checkpoint", dir, "run.dir=" + dir, "dist.timeout_s=5", "eval.ensemble_samples=2"}, 29890);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  unsetenv("SSA_FAULT");
  INFO(results[0].err);
  CHECK(results[1].exit_code == 128 + 9);
  CHECK(results[0].exit_code == 5);
  CHECK(results[0].err.find("rank 0/2") != std::string::npos);
  CHECK(results[0].out.empty());  // no partial scores
  CHECK(seconds < 30);
}
