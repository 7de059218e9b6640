// The command-line contract: check prints parameter counts (paper shapes), bad configs and
// bad data end with one line and their exit codes, and nothing is written on a config error.
#include "tests/support/catch.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/support/run_binary.h"

using namespace ssa::test;
namespace fs = std::filesystem;

namespace {

// The rows of a numeric CSV file (inspect-sampling's output).
std::vector<std::vector<double>> read_csv_matrix(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::vector<double>> rows;
  for (std::string line; std::getline(in, line);) {
    std::vector<double> row;
    std::stringstream fields(line);
    for (std::string f; std::getline(fields, f, ',');) row.push_back(std::stod(f));
    rows.push_back(row);
  }
  return rows;
}

size_t line_count(const std::string& s) {
  size_t n = 0;
  for (const char c : s) n += c == '\n';
  return n;
}

}  // namespace

TEST_CASE("ssa-train --version names the build: version, commit, LibTorch and the optional parts",
          "[integration][cli]") {
  const auto r = run_ssa_train({"--version"});
  CHECK(r.exit_code == 0);
  CHECK(r.out.rfind("ssa-train ", 0) == 0);
  for (const char* part : {"(commit ", ", LibTorch ", ", CUDA ", ", NCCL ", ", RDKit ", ", sentencepiece "}) {
    CHECK(r.out.find(part) != std::string::npos);
  }
}

TEST_CASE("check prints the Enwik8 decoder's 201,967,616 parameters", "[integration][cli]") {
  const auto r = run_ssa_train({"check", source_path("configs/paper/enwik8_s12_l4_ft.yaml")});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("parameters: 201,967,616") != std::string::npos);
}

TEST_CASE("the default config checks", "[integration][cli]") {
  const auto r = run_ssa_train({"check", source_path("configs/fortunes_s4_l4.yaml")});
  REQUIRE(r.exit_code == 0);
}

TEST_CASE("every shipped config checks, with the paper shapes' parameter counts", "[integration][cli]") {
  // GPU configs are checked on CPU: `check` builds the model but does not train.
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"configs/paper/cifar10_pixels_s0.yaml", "202,582,144"},
      {"configs/paper/cifar10_pixels_s16_l4_ft.yaml", "202,582,144"},
      {"configs/paper/pcqm4mv2_egt_small_u10_ft.yaml", "11,411,009"},
      {"configs/paper/pcqm4mv2_egt_small_u20_ft.yaml", "11,411,009"},
      {"configs/paper/pcqm4mv2_egt_small_u30_ft.yaml", "11,411,009"},
      {"configs/paper/pcqm4mv2_egt_small_u40_ft.yaml", "11,411,009"},
      {"configs/paper/pcqm4mv2_egt_small_u50_ft.yaml", "11,411,009"},
      {"configs/paper/wt103_s16_l4_ft.yaml", "246,933,504"},
      {"configs/graphs/tpsa_egt_u30.yaml", ""},
      {"configs/vision/fmnist_pixels_s4_l4.yaml", ""},
      {"configs/vision/fmnist_swin_w14_s2_l4.yaml", ""},
      {"configs/paper/imagenet_swin_t_w7_s0.yaml", "28,288,354"},
      {"configs/paper/imagenet_swin_t_w14_s0.yaml", "28,338,754"},
      {"configs/paper/imagenet_swin_t_w14_s10_l4.yaml", "28,338,754"},
      {"configs/paper/imagenet_swin_t_w14_s10_l4_ft.yaml", "28,338,754"},
      {"configs/paper/imagenet_swin_t_w14_s6_l4.yaml", "28,338,754"},
      {"configs/paper/imagenet_swin_t_w14_s6_l4_ft.yaml", "28,338,754"},
      {"configs/paper/imagenet_swin_t_w14_s10_u75.yaml", "28,338,754"},
      {"configs/paper/imagenet_swin_t_w14_s10_u75_ft.yaml", "28,338,754"},
      {"configs/paper/imagenet_swin_t_w14_s6_u75.yaml", "28,338,754"},
      {"configs/paper/imagenet_swin_t_w14_s6_u75_ft.yaml", "28,338,754"},
      {"configs/repro/fortunes_t512_s0.yaml", "858,880"},
      {"configs/repro/fortunes_t512_s4_l4.yaml", "858,880"},
      {"configs/repro/fortunes_t512_s4_l4_ft.yaml", "858,880"},
      {"configs/repro/science_t256_s0.yaml", "858,880"},
      {"configs/repro/science_t256_s4_l4.yaml", "858,880"},
      {"configs/repro/science_t256_s4_l4_ft.yaml", "858,880"},
      {"configs/repro/literature_t256_s0.yaml", "858,880"},
      {"configs/repro/literature_t256_s4_l4.yaml", "858,880"},
      {"configs/repro/literature_t256_s4_l4_ft.yaml", "858,880"},
      {"configs/repro/words_t256_s0.yaml", "2,052,864"},  // 858,880 + 2 x (4,920 - 256) x 128
      {"configs/repro/words_t256_s4_l4.yaml", "2,052,864"},
      {"configs/repro/words_t256_s4_l4_ft.yaml", "2,052,864"},
      {"configs/repro/fmnist256_s0.yaml", "907,536"},
      {"configs/repro/fmnist256_s4_l4_ft.yaml", "907,536"},
      {"configs/repro/fmnist256_s0_distaug.yaml", "908,304"},  // + (4 + 2) x 128 condition vectors
      {"configs/repro/fmnist256_s4_l4_ft_distaug.yaml", "908,304"}};
  for (const auto& [config, parameters] : expected) {
    const auto r = run_ssa_train({"check", source_path(config), "run.device=cpu"});
    INFO(config << ": " << r.err);
    CHECK(r.exit_code == 0);
    if (!parameters.empty()) CHECK(r.out.find("parameters: " + parameters) != std::string::npos);
  }
}

TEST_CASE("every language-model table row checks (narrowed: the full width is checked above)", "[integration][cli]") {
  // Building a 200M+ parameter model takes ~5 s of CPU; these rows share the wt103 / enwik8
  // flavors' shapes (checked at full size above and in the unit tests) and differ in SSA, phase
  // and data keys, which d_model = 64 checks just as well.
  for (const char* config :
       {"configs/paper/wt103_s0.yaml", "configs/paper/wt103_s16_l2_ft.yaml", "configs/paper/wt103_s16_l6_ft.yaml",
        "configs/paper/wt103_s16_l8_ft.yaml", "configs/paper/wt103_s12_l4_ft.yaml",
        "configs/paper/wt103_unbiased_50_ft.yaml", "configs/paper/wt103_unbiased_25_ft.yaml",
        "configs/paper/enwik8_s0.yaml", "configs/paper/enwik8_s16_l2_ft.yaml", "configs/paper/enwik8_s16_l4_ft.yaml",
        "configs/paper/enwik8_unbiased_25_ft.yaml"}) {
    const auto r = run_ssa_train({"check", source_path(config), "run.device=cpu", "model.d_model=64", "model.d_ff=64"});
    INFO(config << ": " << r.err);
    CHECK(r.exit_code == 0);
  }
}

TEST_CASE("a bad config exits 2 with one line and writes nothing", "[integration][cli]") {
  const std::string dir = fresh_run_dir("never_created");
  const auto r = run_ssa_train({source_path("configs/test/tiny_decoder.yaml"), "run.dir=" + dir, "model.ssa.windows=5"});
  CHECK(r.exit_code == 2);
  CHECK(line_count(r.err) == 1);
  CHECK(r.err.rfind("ssa-train: error: ", 0) == 0);
  CHECK(r.err.find("model.ssa.windows") != std::string::npos);
  CHECK_FALSE(fs::exists(dir));
}

// 10^5 threads once held a run for minutes at 3.7 GB before the first step, deaf to SIGTERM.
TEST_CASE("thread counts above this machine's cores exit 2 with one line, for every running command",
          "[integration][cli]") {
  const std::string dir = fresh_run_dir("too_many_threads");
  const std::string config = source_path("configs/test/tiny_decoder.yaml");
  const auto check_refused = [&](const ssa::test::RunResult& r, const std::string& key) {
    INFO(r.err);
    CHECK(r.exit_code == 2);
    CHECK(line_count(r.err) == 1);
    CHECK(r.err.rfind("ssa-train: error: " + key + ": is 100000 but this process may use ", 0) == 0);
  };
  check_refused(run_ssa_train({config, "run.dir=" + dir, "run.threads=100000"}), "run.threads");
  check_refused(run_ssa_train({"eval", config, "--checkpoint", dir, "run.threads=100000"}), "run.threads");
  check_refused(run_ssa_train({config, "run.dir=" + dir, "data.molecules.threads=100000"}), "data.molecules.threads");
  CHECK_FALSE(fs::exists(dir));
  CHECK(run_ssa_train({"check", config, "run.threads=100000"}).exit_code == 0);  // a config for another machine
}

TEST_CASE("missing data exits 3 naming the key and file", "[integration][cli]") {
  const std::string dir = fresh_run_dir("missing_data");
  const auto r = run_ssa_train(
      {source_path("configs/test/tiny_decoder.yaml"), "run.dir=" + dir, "data.train_paths=[/no/such/corpus.txt]"});
  CHECK(r.exit_code == 3);
  CHECK(r.err.find("data.train_paths[0]: /no/such/corpus.txt: no such file") != std::string::npos);
}

TEST_CASE("usage errors exit 2", "[integration][cli]") {
  CHECK(run_ssa_train({}).exit_code == 2);
  CHECK(run_ssa_train({"check"}).exit_code == 2);
  CHECK(run_ssa_train({"check", "/no/such/config.yaml"}).exit_code == 2);
}

TEST_CASE("inspect-sampling exports a causal probability matrix", "[integration][cli][ssa]") {
  const std::string csv = test_runs_root() + "/sampling_layer1.csv";
  const auto r = run_ssa_train({"inspect-sampling", source_path("configs/test/tiny_decoder.yaml"), "--layer", "1",
                                "--samples", "200", "--out", csv});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(json_number(r.out, "samples") == 200);
  const auto p = read_csv_matrix(csv);
  REQUIRE(p.size() == 64);  // data.seq_len of the tiny config
  for (size_t i = 0; i < p.size(); ++i) {
    REQUIRE(p[i].size() == 64);
    for (size_t j = i + 1; j < 64; ++j) REQUIRE(p[i][j] == 0.0);  // causal: nothing above the diagonal
    if (i < 16)
      for (size_t j = 0; j <= i; ++j) REQUIRE(p[i][j] == 1.0);  // window 0 is dense
  }
}

TEST_CASE("inspect-sampling reads Swin blocks: one window, a quarter of its sources per target",
          "[integration][cli][ssa]") {
  const std::string csv = test_runs_root() + "/sampling_swin.csv";
  const auto r = run_ssa_train({"inspect-sampling", source_path("configs/test/tiny_swin.yaml"), "--layer", "1",
                                "--samples", "300", "--out", csv});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(json_number(r.out, "length") == 16);  // the 4 x 4 window of the first stage
  const auto p = read_csv_matrix(csv);
  REQUIRE(p.size() == 16);
  double diagonal = 0;
  for (size_t i = 0; i < p.size(); ++i) {
    REQUIRE(p[i].size() == 16);
    double sum = 0;
    for (const double v : p[i]) sum += v;
    CHECK(sum == Approx(4.0));  // each 2 x 2 sub-window of targets attends to 4 of the 16 sources
    diagonal += p[i][i];
  }
  CHECK(diagonal / 16 > 0.35);  // locally biased: a token's own position beats the 0.25 average

  const auto egt = run_ssa_train({"inspect-sampling", source_path("configs/test/tiny_egt.yaml"), "--layer", "0",
                                  "--out", test_runs_root() + "/never.csv"});
  CHECK(egt.exit_code == 2);
  CHECK(egt.err.find("inspect-sampling: model.type egt") != std::string::npos);
}

TEST_CASE("inspect-sampling refuses a dense layer with exit 2", "[integration][cli][ssa]") {
  const auto r = run_ssa_train({"inspect-sampling", source_path("configs/test/tiny_decoder.yaml"), "--layer", "0",
                                "--out", test_runs_root() + "/never.csv", "model.ssa.layers=1"});
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("--layer 0: this layer is dense") != std::string::npos);
}

TEST_CASE("eval on a truncated checkpoint exits 3 naming it", "[integration][cli][checkpoint]") {
  const std::string dir = fresh_run_dir("truncated_ckpt");
  const std::string config = source_path("configs/test/tiny_decoder.yaml");
  REQUIRE(run_ssa_train({config, "run.dir=" + dir, "train.steps=5", "train.lr_schedule.warmup_steps=2",
                         "checkpoint.every=5", "eval.every=0"})
              .exit_code == 0);
  const std::string checkpoint = dir + "/checkpoints/step_00000005";
  fs::resize_file(checkpoint + "/model.safetensors", fs::file_size(checkpoint + "/model.safetensors") / 2);
  const auto r = run_ssa_train({"eval", config, "--checkpoint", checkpoint, "run.dir=" + dir});
  CHECK(r.exit_code == 3);
  CHECK(line_count(r.err) == 1);
  CHECK(r.err.find(checkpoint + "/model.safetensors: ") != std::string::npos);
}
