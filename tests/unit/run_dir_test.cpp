// The run directory's resume check: re-preparing a directory with another architecture of any
// model family is refused naming the keys; other changes (dropout, steps) are accepted.
#include "tests/support/catch.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "lib/config/experiment_config.h"
#include "lib/core/error.h"
#include "lib/train/run_dir.h"

using namespace ssa;
namespace fs = std::filesystem;

namespace {

config::ExperimentConfig test_config(const std::string& name, const std::vector<std::string>& overrides) {
  const std::string path = std::string(SSA_SOURCE_DIR) + "/configs/test/" + name;
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return config::parse_experiment(text.str(), path, overrides);
}

// The error of preparing `dir` again with `overrides`, or "" when it is accepted.
std::string reprepare_error(const std::string& dir, const std::string& config_name,
                            const std::vector<std::string>& overrides) {
  try {
    train::prepare_run_dir(test_config(config_name, overrides), dir);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("a run directory refuses another architecture of every model family", "[run_dir]") {
  const auto [config_name, changed] = GENERATE(table<std::string, std::string>({
      {"tiny_decoder.yaml", "model.d_model=32"},
      {"tiny_decoder.yaml", "model.d_ff=96"},
      {"tiny_swin.yaml", "model.embed_dim=16"},
      {"tiny_swin.yaml", "model.depths=[1, 1]"},
      {"tiny_egt.yaml", "model.d_node=24"},
      {"tiny_egt.yaml", "model.egt_simple=false"},
  }));
  const fs::path dir = fs::temp_directory_path() / ("ssa_run_dir_test_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  train::prepare_run_dir(test_config(config_name, {}), dir.string());
  const std::string key = changed.substr(0, changed.find('='));
  INFO(config_name << " " << changed);
  CHECK(reprepare_error(dir.string(), config_name, {changed}).find(key + ": ") != std::string::npos);
  CHECK(reprepare_error(dir.string(), config_name, {"model.attention_dropout=0.2", "train.steps=70"}).empty());
  fs::remove_all(dir);
}
