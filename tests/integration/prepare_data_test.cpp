// prepare-data through the real binary: the enwik8 size check, and WikiText-103-format files made
// from Debian's fortunes -> token files -> a short run of an adaptive-softmax decoder on them,
// with a sliding-window evaluation and a self-ensemble.
#include "tests/support/catch.h"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <algorithm>
#include <regex>
#include <set>
#include <sstream>

#include "tests/support/run_binary.h"
#include "tests/support/text_io.h"

using namespace ssa::test;
namespace fs = std::filesystem;

namespace {

const std::string kFortunes = "/usr/share/games/fortunes/fortunes";

// wiki.{train,valid,test}.tokens: fortunes as train, its first 120 lines as valid and test.
std::string make_wikitext(const std::string& dir) {
  fs::create_directories(dir);
  fs::copy_file(kFortunes, dir + "/wiki.train.tokens", fs::copy_options::overwrite_existing);
  std::ifstream in(kFortunes);
  std::ofstream valid(dir + "/wiki.valid.tokens"), test(dir + "/wiki.test.tokens");
  std::string line;
  for (int i = 0; i < 120 && std::getline(in, line); ++i) {
    valid << line << "\n";
    test << line << "\n";
  }
  return dir;
}

}  // namespace

TEST_CASE("prepare-data enwik8 refuses a file that is not 10^8 bytes, naming it", "[integration][prepare]") {
  const std::string dir = fresh_run_dir("prepare_enwik8");
  fs::create_directories(dir);
  std::ofstream(dir + "/enwik8") << "<mediawiki>";
  const auto r = run_ssa_train({"prepare-data", "enwik8", "--input", dir + "/enwik8", "--out", dir + "/out"});
  CHECK(r.exit_code == 3);
  CHECK(r.err == "ssa-train: error: enwik8: " + dir +
                     "/enwik8: 11 bytes, expected exactly 100,000,000 (the raw "
                     "enwik8 file, unzipped)\n");
  CHECK_FALSE(fs::exists(dir + "/out"));
  CHECK(run_ssa_train({"prepare-data", "text8", "--input", dir, "--out", dir}).exit_code == 2);
}

TEST_CASE("prepare-data wikitext-103 feeds an adaptive-softmax decoder end to end", "[integration][prepare]") {
  const std::string dir = fresh_run_dir("prepare_wikitext");
  const auto r = run_ssa_train(
      {"prepare-data", "wikitext-103", "--input", make_wikitext(dir + "/raw"), "--out", dir + "/data"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  std::smatch m;
  REQUIRE(std::regex_search(r.out, m, std::regex("vocab_size (\\d+)")));
  const std::string vocab = m[1];
  CHECK(std::stoi(vocab) % 8 == 0);
  CHECK(read_file(dir + "/data/manifest.json").find("\"vocab_size\": " + vocab) != std::string::npos);

  const auto run = run_ssa_train(
      {source_path("configs/test/tiny_decoder.yaml"), "run.dir=" + dir + "/run", "data.format=uint32",
       "data.train_paths=[" + dir + "/data/train.u32]", "data.valid_paths=[" + dir + "/data/valid.u32]",
       "model.vocab_size=" + vocab, "model.tie_embeddings=true", "model.adaptive_cutoffs=[100,400]",
       "model.adaptive_dropout=0.1", "train.steps=8", "eval.every=4", "eval.context=32", "eval.ensemble_samples=2"});
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  const auto evals = metrics_lines(dir + "/run", "eval");
  REQUIRE(evals.size() == 2);
  CHECK(std::isfinite(json_number(evals[0], "valid_loss")));
  CHECK(json_number(evals[1], "valid_loss") < json_number(evals[0], "valid_loss"));  // it learns
  CHECK(std::isfinite(json_number(evals[1], "ensemble_valid_loss")));

  // sample --dict: words of the dictionary (or line breaks for </s>) continue the prompt.
  const auto s = run_ssa_train({"sample", source_path("configs/test/tiny_decoder.yaml"), "--checkpoint", dir + "/run",
                                "--dict", dir + "/data/dict.txt", "--prompt", "the", "--length", "30",
                                "run.dir=" + dir + "/run", "data.format=uint32",
                                "data.train_paths=[" + dir + "/data/train.u32]", "model.vocab_size=" + vocab,
                                "model.tie_embeddings=true", "model.adaptive_cutoffs=[100,400]"});
  INFO(s.err);
  REQUIRE(s.exit_code == 0);
  std::set<std::string> words{"<unk>"};
  std::istringstream dict(read_file(dir + "/data/dict.txt"));
  for (std::string word, count; dict >> word >> count;) words.insert(word);
  std::istringstream out(s.out);
  int generated = 0;
  for (std::string word; out >> word; ++generated) CHECK(words.count(word) == 1);
  CHECK(s.out.rfind("the", 0) == 0);
  CHECK(generated + std::count(s.out.begin(), s.out.end(), '\n') == 31);  // the prompt word + 30 tokens
}
