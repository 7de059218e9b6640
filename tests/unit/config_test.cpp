// Config: defaults, overrides, the resolved config round trip, one-line errors with file:line
// for the corpus of bad configs in tests/configs/bad/, and the generated reference in docs/.
#include "tests/support/catch.h"

#include <set>

#include <fstream>
#include <sstream>

#include "lib/config/experiment_config.h"
#include "lib/core/error.h"
#include "models/decoder/decoder_config.h"
#include "tests/support/text_io.h"

using namespace ssa;
using config::parse_experiment;

namespace {

const std::string kMinimal = "data:\n  train_paths: [a.txt]\n";

std::string error_of(const std::string& yaml, const std::vector<std::string>& overrides = {}) {
  try {
    parse_experiment(yaml, "test.yaml", overrides);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST_CASE("a minimal config gets the struct defaults", "[config]") {
  const auto c = parse_experiment(kMinimal, "test.yaml");
  REQUIRE(c.data.train_paths == std::vector<std::string>{"a.txt"});
  REQUIRE(c.model.as<models::DecoderConfig>().d_model == models::DecoderConfig{}.d_model);
  REQUIRE(c.train.phases.size() == 1);
}

TEST_CASE("overrides reach nested keys and list items and are validated", "[config]") {
  const auto c = parse_experiment(
      kMinimal +
          "train:\n  phases:\n    - {name: a, fraction: 0.5}\n    - {name: b, fraction: 0.5, attention: dense}\n",
      "test.yaml",
      {"model.ssa.windows=8", "train.optimizer.lr=3e-4", "train.phases.1.fraction=0.25", "train.phases.0.fraction=0.75",
       "data.valid_paths=[v1, v2]"});
  REQUIRE(c.model.as<models::DecoderConfig>().ssa.windows == 8);
  REQUIRE(c.train.optimizer.lr == Approx(3e-4));
  REQUIRE(c.train.phases[1].fraction == Approx(0.25));
  REQUIRE(c.data.valid_paths.size() == 2);
  REQUIRE(error_of(kMinimal, {"model.ssa.windws=8"}) ==
          "command line: model.ssa.windws: unknown key (did you mean 'windows'?); known keys: variant, "
          "windows, keep_ratio, layers, sigma_first, sigma_last, row_length");
  REQUIRE(error_of(kMinimal, {"train.steps"}).find("expected dotted.key=value") != std::string::npos);
  REQUIRE(error_of(kMinimal, {"train.optimizer.lr=-1"}) ==
          "command line: train.optimizer.lr: expected a number > 0, got -1");
}

TEST_CASE("causal_2d needs a square grid or row_length, the same rule the sampler applies", "[config][ssa]") {
  // 12 is 4 rows of 3 only if rounding sqrt(12) were accepted; the sampler refuses, so must the config.
  REQUIRE(error_of(kMinimal, {"model.ssa.variant=causal_2d", "data.seq_len=12", "model.ssa.windows=2"})
              .find("model.ssa.row_length: data.seq_len (12) must be a grid of rows of sqrt(data.seq_len) tokens") !=
          std::string::npos);
  REQUIRE(error_of(kMinimal, {"model.ssa.variant=causal_2d", "data.seq_len=12", "model.ssa.windows=2",
                              "model.ssa.row_length=3"}) == "(no error)");
  REQUIRE(error_of(kMinimal, {"model.ssa.variant=causal_2d", "data.seq_len=64", "model.ssa.windows=4"}) ==
          "(no error)");
}

TEST_CASE("a flavor sets the preset and explicit keys override it", "[config]") {
  const auto c = parse_experiment(kMinimal + "model:\n  flavor: enwik8\n  layers: 14\n", "test.yaml",
                                  {"data.format=uint16"});
  REQUIRE(c.model.as<models::DecoderConfig>().d_model == 1024);
  REQUIRE(c.model.as<models::DecoderConfig>().layers == 14);
}

TEST_CASE("the schema marks the keys that shape the parameters, for each model family", "[config]") {
  const auto decoder = config::flatten(parse_experiment(kMinimal, "test.yaml")).architecture_keys;
  for (const char* key : {"model.type", "model.vocab_size", "model.layers", "model.d_model", "model.heads", "model.d_ff",
                          "model.tie_embeddings", "model.adaptive_cutoffs", "model.position", "data.format"}) {
    CHECK(decoder.count(key) == 1);
  }
  for (const char* key : {"model.dropout", "model.ssa.windows", "model.ssa.variant", "model.image_height",
                          "data.seq_len", "train.optimizer.lr", "model.flavor"}) {
    CHECK(decoder.count(key) == 0);
  }
  const auto keys_of = [](const std::string& config) {
    return config::flatten(config::load_experiment(std::string(SSA_SOURCE_DIR) + "/configs/test/" + config, {}))
        .architecture_keys;
  };
  const auto swin = keys_of("tiny_swin.yaml");
  CHECK(swin == std::set<std::string>{"model.type", "model.in_channels", "model.num_classes", "model.patch_size",
                                      "model.embed_dim", "model.depths", "model.heads", "model.window_size",
                                      "model.mlp_ratio", "data.format"});
  const auto egt = keys_of("tiny_egt.yaml");
  CHECK(egt.count("model.d_edge") == 1);
  CHECK(egt.count("model.svd_rank") == 1);
  CHECK(egt.count("model.ssa.drop_ratio") == 0);
}

TEST_CASE("the resolved config reads back to the same config", "[config]") {
  const auto c = parse_experiment(kMinimal + "model: {flavor: tiny, d_model: 96}\n", "test.yaml",
                                  {"train.optimizer.lr=0.1", "run.dir=\"007\""});
  const auto again = parse_experiment(config::to_yaml(c), "resolved.yaml");
  REQUIRE(config::flatten(again).values == config::flatten(c).values);
  REQUIRE(again.run.dir == "007");
}

TEST_CASE("errors name file, line and dotted key", "[config]") {
  REQUIRE(error_of(kMinimal + "model:\n  d_modle: 3\n") ==
          "test.yaml:4:3: model.d_modle: unknown key (did you mean 'd_model'?); known keys: type, flavor, "
          "from_checkpoint, vocab_size, layers, d_model, heads, d_ff, dropout, attention_dropout, activation_dropout, "
          "final_norm, tie_embeddings, scale_embedding, adaptive_cutoffs, adaptive_factor, adaptive_dropout, position, "
          "rope_theta, norm, ffn, kv_heads, bias, image_height, image_width, image_channels, conditions, ssa");
  REQUIRE(error_of(kMinimal + "train:\n  steps: 3.5\n") ==
          "test.yaml:4:10: train.steps: expected an integer, got '3.5'");
  REQUIRE(error_of(kMinimal + "train:\n  steps: 1e3\n").find("(no error)") == 0);  // integral
  REQUIRE(error_of("model: {}\n") == "test.yaml: data.train_paths: missing required key");
  REQUIRE(error_of("data:\n  seq_len: 8\n") == "test.yaml:2:3: data.train_paths: missing required key");
}

TEST_CASE("every bad config in the corpus gives its expected one-line error", "[config][corpus]") {
  const std::string dir = std::string(SSA_SOURCE_DIR) + "/tests/configs/bad/";
  std::ifstream manifest(dir + "expected.tsv");
  REQUIRE(manifest.good());
  int cases = 0;
  for (std::string line; std::getline(manifest, line);) {
    if (line.empty() || line[0] == '#') continue;
    const auto tab = line.find('\t');
    const std::string name = line.substr(0, tab), expected = line.substr(tab + 1);
    std::string message = "(no error)";
    try {
      config::load_experiment(dir + name, {});
    } catch (const ConfigError& e) {
      message = e.what();
    }
    INFO(name << " -> " << message);
    CHECK(message.find(expected) != std::string::npos);
    CHECK(message.find('\n') == std::string::npos);
    ++cases;
  }
  REQUIRE(cases >= 40);
}

TEST_CASE("docs/config-reference.md is generated from the schema and up to date", "[config][docs]") {
  const std::string doc = ssa::test::read_file(std::string(SSA_SOURCE_DIR) + "/docs/config-reference.md");
  INFO("regenerate with: ssa-train config-reference, pasted below the marker line");
  REQUIRE(doc.find(config::config_reference_markdown()) != std::string::npos);
}
