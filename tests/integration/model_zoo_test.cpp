// End-to-end runs of the pixel decoder (Fashion-MNIST sub-pixels with DistAug, BPD) and EGT (TPSA of RDKit's
// NCI first_5k molecules, MAE) on real data through SSA and the dense fine-tune, plus a bitwise
// kill/resume of these and of Swin (its learning run is in vision_test.cpp), on 1 and 2 ranks.
#include "tests/support/catch.h"

#include <cmath>
#include <filesystem>

#include "tests/support/run_binary.h"
#include "tests/support/text_io.h"

using namespace ssa::test;
namespace fs = std::filesystem;

namespace {

// The resumed run's metrics, line by line, are those of the uninterrupted run.
void check_same_metrics(const std::string& straight, const std::string& resumed) {
  const auto a = metrics_fingerprint(straight), b = metrics_fingerprint(resumed);
  REQUIRE(a.size() == b.size());
  for (size_t i = 0; i < a.size(); ++i) CHECK(a[i] == b[i]);
}

void check_kill_resume(const std::string& config, const std::string& name, const std::string& checkpoint) {
  const std::string straight = fresh_run_dir(name + "_straight");
  REQUIRE(run_ssa_train({config, "run.dir=" + straight}).exit_code == 0);
  const std::string killed = fresh_run_dir(name + "_killed");
  REQUIRE(run_and_kill_when({config, "run.dir=" + killed}, killed + "/checkpoints/" + checkpoint + "/COMPLETE"));
  const auto resumed = run_ssa_train({config, "run.dir=" + killed});
  INFO(resumed.err);
  REQUIRE(resumed.exit_code == 0);
  check_same_metrics(straight, killed);
}

// The same on 2 ranks: rank 0 is SIGKILLed once `checkpoint` is complete (rank 1 then gives up
// after dist.timeout_s), and the resumed 2-rank job must match an uninterrupted 2-rank job.
void check_kill_resume_two_ranks(const std::string& config, const std::string& name,
                                 const std::vector<std::string>& overrides, const std::string& checkpoint, int port) {
  const auto args = [&](const std::string& dir) {
    std::vector<std::string> a{config, "run.dir=" + dir, "dist.timeout_s=5"};
    a.insert(a.end(), overrides.begin(), overrides.end());
    return a;
  };
  const std::string straight = fresh_run_dir(name + "_2ranks_straight");
  for (const auto& r : run_ranks(2, args(straight), port)) REQUIRE(r.exit_code == 0);
  const std::string killed = fresh_run_dir(name + "_2ranks_killed");
  const auto interrupted = run_ranks(2, args(killed), port + 1, /*kill_rank=*/0,
                                     killed + "/checkpoints/" + checkpoint + "/COMPLETE");
  REQUIRE(interrupted[0].exit_code == 128 + 9);
  const auto resumed = run_ranks(2, args(killed), port + 2);
  INFO(resumed[0].err);
  REQUIRE(resumed[0].exit_code == 0);
  REQUIRE(resumed[1].exit_code == 0);
  CHECK(resumed[0].err.find("resumed from") != std::string::npos);
  check_same_metrics(straight, killed);
}

}  // namespace

TEST_CASE("the pixel decoder learns Fashion-MNIST and reports bits per dimension", "[integration][pixels]") {
  const std::string dir = fresh_run_dir("pixels_learn");
  const auto r = run_ssa_train({source_path("configs/test/tiny_pixels.yaml"), "run.dir=" + dir});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const auto train = metrics_lines(dir, "train");
  REQUIRE(train.size() == 30);
  CHECK(json_number(train[23], "attention_fraction") < 1.0);  // 2D causal SSA over bands of rows
  CHECK(json_number(train[24], "attention_fraction") == Approx(1.0));
  const auto evals = metrics_lines(dir, "eval");
  REQUIRE(evals.size() == 2);
  const double bpd = json_number(evals[1], "valid_bits_per_dim");
  CHECK(bpd == Approx(json_number(evals[1], "valid_loss") / std::log(2.0)));
  CHECK(bpd < 5.0);  // a uniform model needs 8 bits per sub-pixel
  CHECK(json_number(evals[1], "valid_targets") == 20 * 784);
  CHECK(r.err.find("DistAug rotate (4) x transpose (2) x jigsaw (24); validation 10000 images 28x28x1 as "
                   "784-sub-pixel sequences") != std::string::npos);  // training transformed, validation not

  // sample draws one 28 x 28 image from the trained model, sub-pixel by sub-pixel, as a PGM file.
  const std::string image = dir + "/sample.pgm";
  const auto s = run_ssa_train(
      {"sample", source_path("configs/test/tiny_pixels.yaml"), "--checkpoint", dir, "--out", image, "run.dir=" + dir});
  INFO(s.err);
  REQUIRE(s.exit_code == 0);
  const std::string bytes = read_file(image);
  CHECK(bytes.rfind("P5\n28 28\n255\n", 0) == 0);
  CHECK(bytes.size() == 13 + 784);
}

TEST_CASE("EGT with graph SSA learns TPSA well below the best constant predictor", "[integration][egt]") {
  const std::string dir = fresh_run_dir("egt_learn");
  const auto r = run_ssa_train({source_path("configs/test/tiny_egt.yaml"), "run.dir=" + dir});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const auto train = metrics_lines(dir, "train");
  REQUIRE(train.size() == 100);
  CHECK(json_number(train[79], "attention_fraction") < 1.0);
  CHECK(json_number(train[80], "attention_fraction") == Approx(1.0));
  const auto evals = metrics_lines(dir, "eval");
  REQUIRE(evals.size() == 2);
  CHECK(json_number(evals[1], "valid_targets") == 249);  // 250 held-out rows, one malformed SMILES
  // The median of the whole file, the best constant under L1, has MAE 28.8 A^2.
  CHECK(json_number(evals[1], "valid_mae") < 20.0);
  // Counted and reported, never a crash (how many: molecule_test, per RDKit release).
  CHECK(r.err.find(" malformed (unparsable, no atoms or over 255 atoms; source lines ") != std::string::npos);
}

TEST_CASE("a SIGKILLed Swin run resumes to bitwise-identical metrics", "[integration][vision][resume]") {
  // Augmentation, stochastic depth and sub-window SSA on.
  check_kill_resume(source_path("configs/test/tiny_swin.yaml"), "swin", "step_00000040");
}

TEST_CASE("SIGKILLed pixel-decoder and EGT runs resume to bitwise-identical metrics", "[integration][resume]") {
  check_kill_resume(source_path("configs/test/tiny_pixels.yaml"), "pixels", "step_00000015");
  check_kill_resume(source_path("configs/test/tiny_egt.yaml"), "egt", "step_00000040");
}

TEST_CASE(
    "2 ranks: SIGKILLed Swin, pixel-decoder and EGT jobs resume across the fine-tune boundary to "
    "bitwise-identical metrics",
    "[integration][resume][dist]") {
  check_kill_resume_two_ranks(source_path("configs/test/tiny_swin.yaml"), "swin",
                              {"train.steps=24", "checkpoint.every=8", "eval.every=12"}, "step_00000008", 29800);
  check_kill_resume_two_ranks(source_path("configs/test/tiny_pixels.yaml"), "pixels",
                              {"train.steps=10", "checkpoint.every=5", "eval.every=5"}, "step_00000005", 29810);
  check_kill_resume_two_ranks(source_path("configs/test/tiny_egt.yaml"), "egt",
                              {"train.steps=20", "checkpoint.every=10", "eval.every=10"}, "step_00000010", 29820);
}
