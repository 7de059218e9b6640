// End-to-end ViT: the real binary trains the tiny ViT on Fashion-MNIST through SSA over the patch
// grid and the dense fine-tune, and a SIGKILLed run resumes to bitwise-identical metrics.
#include "tests/support/catch.h"

#include <filesystem>

#include "tests/support/run_binary.h"
#include "tests/support/text_io.h"

using namespace ssa::test;
namespace fs = std::filesystem;

namespace {

const std::string kConfig = source_path("configs/test/tiny_vit.yaml");

}  // namespace

TEST_CASE("ViT learns Fashion-MNIST with SSA over the patch grid, then a dense fine-tune", "[integration][vit]") {
  const std::string dir = fresh_run_dir("vit_learns");
  const auto r = run_ssa_train({kConfig, "run.dir=" + dir});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const auto train = metrics_lines(dir, "train");
  REQUIRE(train.size() == 160);
  // 16 patches see the class token and one patch row of 4; the class token sees all 17.
  CHECK(json_number(train[119], "attention_fraction") == Approx((16.0 * 5 + 17) / (17.0 * 17)));
  CHECK(json_number(train[119], "flops_vs_dense") < 1.0);
  CHECK(json_number(train[120], "attention_fraction") == Approx(1.0));
  const auto evals = metrics_lines(dir, "eval");
  REQUIRE(evals.size() == 2);
  CHECK(json_number(evals[1], "valid_accuracy") > 0.4);  // chance is 0.1
  CHECK(json_number(evals[1], "valid_loss") < json_number(evals[0], "valid_loss"));
  CHECK(json_number(evals[1], "valid_targets") == 500);
  CHECK(json_number(evals[1], "ensemble_samples") == 2);
  CHECK(fs::exists(dir + "/checkpoints/step_00000160/COMPLETE"));

  SECTION("a SIGKILLed run resumes to the same metrics, bit for bit") {
    const std::string killed = fresh_run_dir("vit_killed");
    REQUIRE(run_and_kill_when({kConfig, "run.dir=" + killed}, killed + "/checkpoints/step_00000080/COMPLETE"));
    const auto resumed = run_ssa_train({kConfig, "run.dir=" + killed});
    INFO(resumed.err);
    REQUIRE(resumed.exit_code == 0);
    CHECK(metrics_fingerprint(killed) == metrics_fingerprint(dir));
  }
}
