// End-to-end Swin runs on real Fashion-MNIST (configs/test/tiny_swin.yaml): accuracy rises well
// above chance through SSA and the dense fine-tune, and eval reproduces the logged metrics (its
// kill/resume is in model_zoo_test.cpp); and a short run on a generated JPEG folder
// (configs/test/tiny_imagenet.yaml).
#include "tests/support/catch.h"

#include <cmath>
#include <filesystem>

#include "tests/support/jpeg_writer.h"
#include "tests/support/run_binary.h"

using namespace ssa::test;
namespace fs = std::filesystem;

namespace {

const std::string kConfig = source_path("configs/test/tiny_swin.yaml");

std::vector<std::string> train_args(const std::string& dir) { return {kConfig, "run.dir=" + dir}; }

}  // namespace

TEST_CASE("Swin learns Fashion-MNIST with sub-window SSA then a dense fine-tune", "[integration][vision]") {
  const std::string dir = fresh_run_dir("swin_learns");
  const auto r = run_ssa_train(train_args(dir));
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const auto train = metrics_lines(dir, "train");
  REQUIRE(train.size() == 60);
  CHECK(json_number(train[44], "attention_fraction") == Approx(0.25));
  CHECK(json_number(train[44], "flops_vs_dense") < 1.0);
  CHECK(json_number(train[45], "attention_fraction") == Approx(1.0));
  const auto evals = metrics_lines(dir, "eval");
  REQUIRE(evals.size() == 2);
  CHECK(json_number(evals[1], "valid_accuracy") > 0.4);  // chance is 0.1
  CHECK(json_number(evals[1], "valid_loss") < json_number(evals[0], "valid_loss"));
  CHECK(json_number(evals[1], "valid_targets") == 500);
  CHECK(json_number(evals[1], "ensemble_samples") == 2);
  CHECK(fs::exists(dir + "/checkpoints/step_00000060/COMPLETE"));

  SECTION("eval on the final checkpoint reproduces the logged accuracy and writes the ensemble table") {
    const std::string table = dir + "/ensemble.md";
    const auto e = run_ssa_train({"eval", kConfig, "--checkpoint", dir, "--table", table, "run.dir=" + dir});
    INFO(e.err);
    REQUIRE(e.exit_code == 0);
    CHECK(json_number(e.out, "accuracy") == Approx(json_number(evals[1], "valid_accuracy")).epsilon(1e-9));
    CHECK(json_number(e.out, "loss") == Approx(json_number(evals[1], "valid_loss")).epsilon(1e-9));
    CHECK(fs::exists(table));
  }
}

TEST_CASE("Swin trains on a generated ImageNet folder of JPEG files", "[integration][vision][imagenet]") {
  const std::string data = fresh_run_dir("tiny_imagenet_data"), dir = fresh_run_dir("tiny_imagenet");
  write_image_folder(data, {"n01", "n02", "n03"}, 8, 4, 40);
  const auto r = run_ssa_train({source_path("configs/test/tiny_imagenet.yaml"), "data.root=" + data, "run.dir=" + dir});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const auto train = metrics_lines(dir, "train");
  REQUIRE(train.size() == 20);
  for (const auto& line : train) CHECK(std::isfinite(json_number(line, "loss")));
  const auto evals = metrics_lines(dir, "eval");
  REQUIRE(evals.size() == 2);
  for (const auto& line : evals) {
    CHECK(std::isfinite(json_number(line, "valid_loss")));
    CHECK(json_number(line, "valid_accuracy") >= 0.0);
    CHECK(json_number(line, "valid_accuracy") <= 1.0);
    CHECK(json_number(line, "valid_targets") == 12);
  }
  CHECK(json_number(evals[1], "valid_accuracy") > 0.5);  // distinct class colours; chance is 1/3

  SECTION("building batches on the main thread instead of ahead on a worker changes nothing") {
    const std::string inline_dir = fresh_run_dir("tiny_imagenet_no_prefetch");
    const auto again = run_ssa_train({source_path("configs/test/tiny_imagenet.yaml"), "data.root=" + data,
                                      "run.dir=" + inline_dir, "data.prefetch=false"});
    INFO(again.err);
    REQUIRE(again.exit_code == 0);
    CHECK(metrics_fingerprint(inline_dir) == metrics_fingerprint(dir));  // RandAugment, erasing, mixup: bitwise
  }
}
