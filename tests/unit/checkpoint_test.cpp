// Checkpoints: exact round trip of model, optimizer, RNG and data position, and of the bytes of a
// re-saved checkpoint; only complete checkpoints count; a bit flipped in any file of the newest
// checkpoint falls back to the previous one; keep_last.
#include "tests/support/catch.h"

#include <filesystem>
#include <fstream>
#include <random>

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include "lib/core/error.h"
#include "lib/train/checkpointer.h"
#include "lib/train/optimizer.h"
#include "lib/train/optimizer_state.h"
#include "models/decoder/decoder.h"
#include "tests/support/text_io.h"

using namespace ssa;
namespace fs = std::filesystem;

namespace {

struct Fixture {
  // ctest runs test cases as parallel processes: each gets its own directory.
  explicit Fixture(bool fresh_dir = true)
      : dir("/tmp/ssa_ckpt_test/" + Catch::getResultCapture().getCurrentTestName()) {
    if (fresh_dir) fs::remove_all(dir);
    torch::manual_seed(0);
    models::DecoderConfig c = models::decoder_flavor("tiny");
    model = std::make_shared<models::Decoder>(c, 1);
    optimizer = train::build_optimizer(*model, train::OptimizerConfig{});
  }
  void step() {
    optimizer->zero_grad();
    model->forward(at::randint(0, 256, {2, 8}, at::kLong)).sum().backward();
    optimizer->step();
    state.step += 1;
  }
  std::string dir;
  std::shared_ptr<models::Decoder> model;
  std::unique_ptr<torch::optim::AdamW> optimizer;
  train::TrainState state;
};

std::vector<at::Tensor> snapshot(const models::Model& m) {
  std::vector<at::Tensor> out;
  for (const auto& p : m.parameters()) out.push_back(p.detach().clone());
  return out;
}

}  // namespace

TEST_CASE("a checkpoint restores parameters, optimizer, RNG and state exactly", "[checkpoint]") {
  Fixture a;
  a.step();
  a.state.data = {2, 17};
  a.state.skips = {5, 3, 2};
  train::Checkpointer ckpt(a.dir, 2);
  ckpt.save({*a.model, a.optimizer.get(), a.state});
  const auto params = snapshot(*a.model);
  const auto next_noise = at::randn({4});  // the dropout RNG continues from here
  const auto next_draw = a.model->sampler().causal_local(16, 4, 2.0).sources;

  Fixture b(/*fresh_dir=*/false);
  const auto loaded = train::Checkpointer(a.dir, 2).restore_latest({*b.model, b.optimizer.get(), b.state});
  REQUIRE(loaded.has_value());
  REQUIRE(b.state.step == 1);
  REQUIRE(b.state.data.epoch == 2);
  REQUIRE(b.state.data.cursor == 17);
  REQUIRE(b.state.skips.steps == 5);
  REQUIRE(b.state.skips.nonfinite == 3);
  REQUIRE(b.state.skips.nonfinite_in_a_row == 2);
  const auto restored = snapshot(*b.model);
  for (size_t i = 0; i < params.size(); ++i) REQUIRE(at::equal(params[i], restored[i]));
  REQUIRE(at::equal(at::randn({4}), next_noise));
  REQUIRE(at::equal(b.model->sampler().causal_local(16, 4, 2.0).sources, next_draw));
  // Same optimizer moments: one more identical step gives identical parameters.
  torch::manual_seed(5);
  a.step();
  torch::manual_seed(5);
  b.step();
  const auto pa = snapshot(*a.model), pb = snapshot(*b.model);
  for (size_t i = 0; i < pa.size(); ++i) REQUIRE(at::equal(pa[i], pb[i]));
}

TEST_CASE("save, load and save again writes the same bytes", "[checkpoint]") {
  Fixture a;
  a.step();
  a.step();
  a.state.data = {1, 9};
  train::Checkpointer(a.dir + "/first", 2).save({*a.model, a.optimizer.get(), a.state});
  Fixture b(/*fresh_dir=*/false);
  REQUIRE(train::Checkpointer(a.dir + "/first", 2).restore_latest({*b.model, b.optimizer.get(), b.state}));
  train::Checkpointer(a.dir + "/second", 2).save({*b.model, b.optimizer.get(), b.state});
  for (const char* file : {"model.safetensors", "optimizer.safetensors", "state.safetensors", "COMPLETE"}) {
    INFO(file);
    const auto read = [&](const std::string& which) {
      return test::read_file(a.dir + "/" + which + "/step_00000002/" + file);
    };
    CHECK(read("first").size() > 0);
    const bool identical = read("first") == read("second");
    CHECK(identical);
  }
}

TEST_CASE("incomplete and corrupt checkpoints are skipped, keep_last prunes", "[checkpoint]") {
  Fixture f;
  train::Checkpointer ckpt(f.dir, 2);
  for (int i = 0; i < 3; ++i) {
    f.step();
    ckpt.save({*f.model, f.optimizer.get(), f.state});
  }
  REQUIRE(ckpt.complete_checkpoints().size() == 2);  // steps 2 and 3
  fs::create_directories(f.dir + "/step_00000009.tmp");
  fs::create_directories(f.dir + "/step_00000008");  // no COMPLETE marker
  // One flipped bit in a file of the newest checkpoint (in its last tensor's data): the file's
  // checksum no longer matches.
  const std::string file = GENERATE(as<std::string>{}, "model.safetensors", "optimizer.safetensors",
                                    "state.safetensors");
  INFO(file);
  {
    std::fstream bytes(f.dir + "/step_00000003/" + file, std::ios::in | std::ios::out | std::ios::binary);
    bytes.seekg(-5, std::ios::end);
    const char byte = static_cast<char>(bytes.get());
    bytes.seekp(-5, std::ios::end);
    bytes.put(static_cast<char>(byte ^ 0x10));
  }
  Fixture g(/*fresh_dir=*/false);
  const auto loaded = train::Checkpointer(f.dir, 2).restore_latest({*g.model, g.optimizer.get(), g.state});
  REQUIRE(loaded.has_value());
  REQUIRE(fs::path(*loaded).filename() == "step_00000002");
  REQUIRE(g.state.step == 2);
}

// A run that resumed past an unreadable newest checkpoint must not let keep_last delete the good
// ones in its favour: with keep_last 1 (or keep_last 2 and two bad ones) the next save would
// otherwise leave only bad ones, and the run could never resume again.
TEST_CASE("an unreadable checkpoint newer than the resumed one is set aside, not kept in place of good ones",
          "[checkpoint]") {
  Fixture f;
  for (const int64_t step : {2, 4}) {
    f.state.step = step - 1;
    f.step();
    train::Checkpointer(f.dir, 2).save({*f.model, f.optimizer.get(), f.state});
  }
  {
    std::fstream bytes(f.dir + "/step_00000004/model.safetensors", std::ios::in | std::ios::out | std::ios::binary);
    bytes.seekp(-5, std::ios::end);
    bytes.put('\x7f');
  }
  Fixture g(/*fresh_dir=*/false);
  train::Checkpointer ckpt(f.dir, 1);
  REQUIRE(ckpt.restore_latest({*g.model, g.optimizer.get(), g.state}) == f.dir + "/step_00000002");
  g.step();  // step 3
  ckpt.save({*g.model, g.optimizer.get(), g.state});
  CHECK(ckpt.complete_checkpoints() == std::vector<std::string>{f.dir + "/step_00000003"});
  CHECK(fs::exists(f.dir + "/step_00000004.unreadable/model.safetensors"));
  Fixture h(/*fresh_dir=*/false);
  CHECK(ckpt.restore_latest({*h.model, h.optimizer.get(), h.state}) == f.dir + "/step_00000003");
  CHECK(h.state.step == 3);
}

TEST_CASE("weights of another model config are refused with every difference counted, and nothing is copied",
          "[checkpoint]") {
  Fixture f;
  f.step();
  train::Checkpointer(f.dir, 2).save({*f.model, f.optimizer.get(), f.state});
  models::DecoderConfig c = models::decoder_flavor("tiny");
  c.layers -= 1;  // the checkpoint has a block more
  c.d_ff *= 2;    // and other feed-forward shapes
  torch::manual_seed(1);
  models::Decoder other(c, 1);
  const auto before = snapshot(other);
  const std::string path = f.dir + "/step_00000001";
  std::string error;
  try {
    train::load_weights(path, other);
  } catch (const InputError& e) {
    error = e.what();
  }
  INFO(error);
  CHECK(error.rfind(path + ": the checkpoint's tensors do not fit this model: ", 0) == 0);
  CHECK(error.find(" of another shape (") != std::string::npos);
  CHECK(error.find("] here, [") != std::string::npos);  // both shapes
  CHECK(error.find(" not in the model (blocks." + std::to_string(c.layers) + ".") != std::string::npos);
  CHECK(error.find("missing") == std::string::npos);
  CHECK(error.find('\n') == std::string::npos);
  const auto after = snapshot(other);
  for (size_t i = 0; i < before.size(); ++i) CHECK(at::equal(before[i], after[i]));
}

// Reliability goal C1: COMPLETE lists every file's size and CRC-32 and ends with the step, so a
// flipped bit anywhere (a safetensors header included) or a cut anywhere is refused before loading.
TEST_CASE("every sampled single-bit flip and truncation of any checkpoint file is refused", "[checkpoint][fuzz]") {
  Fixture f;
  f.step();
  train::Checkpointer(f.dir, 2).save({*f.model, f.optimizer.get(), f.state});
  const std::string dir = f.dir + "/step_00000001";
  Fixture g(/*fresh_dir=*/false);
  const auto refused = [&] {
    try {
      train::load_checkpoint(dir, {*g.model, g.optimizer.get(), g.state});
    } catch (const InputError& e) {
      return std::string(e.what()).find('\n') == std::string::npos;
    }
    return false;
  };
  REQUIRE_FALSE(refused());  // the untouched checkpoint loads
  std::mt19937_64 rng(7);
  int attempts = 0;
  for (const char* file : {"COMPLETE", "state.safetensors", "optimizer.safetensors", "model.safetensors"}) {
    const std::string path = dir + "/" + file, original = ssa::test::read_file(path);
    const auto write = [&](const std::string& bytes) {
      std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
    };
    std::vector<size_t> bits = {0, original.size() * 8 - 1};  // the first and the last bit
    for (int i = 0; i < 120; ++i) bits.push_back(rng() % (original.size() * 8));
    for (int i = 0; i < 40; ++i) bits.push_back(rng() % (std::min<size_t>(original.size(), 4096) * 8));  // headers
    for (const size_t bit : bits) {
      std::string flipped = original;
      flipped[bit / 8] = static_cast<char>(flipped[bit / 8] ^ (1 << (bit % 8)));
      write(flipped);
      INFO(file << ": bit " << bit << " flipped");
      CHECK(refused());
      ++attempts;
    }
    for (int i = 0; i < 30; ++i) {
      const size_t cut = rng() % original.size();
      write(original.substr(0, cut));
      INFO(file << ": cut to " << cut << " bytes");
      CHECK(refused());
      ++attempts;
    }
    write(original);
  }
  CHECK(attempts == 4 * (2 + 120 + 40 + 30));
  REQUIRE_FALSE(refused());
}

TEST_CASE("checkpoints sort by step number, also past 8 digits", "[checkpoint]") {
  Fixture f;
  for (const int64_t step : {7, 99'999'999, 100'000'000}) {  // step_1… sorts before step_9… as text
    f.state.step = step;
    train::Checkpointer(f.dir, 5).save({*f.model, f.optimizer.get(), f.state});
  }
  CHECK(train::Checkpointer(f.dir, 5).complete_checkpoints() ==
        std::vector<std::string>{f.dir + "/step_00000007", f.dir + "/step_99999999", f.dir + "/step_100000000"});
}

TEST_CASE("the checkpoint size estimate matches a written checkpoint: too little disk is refused", "[checkpoint]") {
  Fixture f;
  f.step();  // AdamW has created its moments
  train::Checkpointer(f.dir, 2).save({*f.model, f.optimizer.get(), f.state});
  int64_t written = 0;
  for (const auto& e : fs::recursive_directory_iterator(f.dir)) {
    if (e.is_regular_file()) written += static_cast<int64_t>(e.file_size());
  }
  const int64_t estimate = train::estimated_checkpoint_bytes(*f.model);
  CHECK(static_cast<double>(estimate) == Approx(static_cast<double>(written)).epsilon(0.05));

  CHECK(train::check_free_space("ckpts", 100, 200).empty());
  CHECK(train::check_free_space("ckpts", 100, 150).find("room for fewer than two checkpoints") != std::string::npos);
  try {
    train::check_free_space("ckpts", 2'000'000, 1'500'000);
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(e.code() == ExitCode::kIo);
    CHECK(std::string(e.what()) ==
          "ckpts: 1.5 MB free, but one checkpoint of this model needs about 2.0 MB; free some space or use another "
          "run.dir");
  }
}

TEST_CASE("a checkpoint of the previous format is refused, naming the format", "[checkpoint]") {
  Fixture f;
  const std::string old = f.dir + "/step_00000005";
  fs::create_directories(old);
  for (const char* file : {"model.safetensors", "optimizer.pt", "state.pt", "COMPLETE"})
    std::ofstream(old + "/" + file) << "x";
  try {
    train::load_checkpoint(old, {*f.model, f.optimizer.get(), f.state});
    FAIL("expected an InputError");
  } catch (const InputError& e) {
    CHECK(std::string(e.what()) ==
          old + ": written by ssa-train 0.9 (checkpoint format 5, state.pt); this build reads format 6");
  }
}

TEST_CASE("optimizer state: a reshaped moment or a parameter the model lacks is an error naming it", "[checkpoint]") {
  Fixture f;
  f.step();
  auto stored = train::adamw_state_tensors(*f.optimizer, *f.model);
  REQUIRE(stored.size() == 3 * f.model->parameters().size());  // step, exp_avg, exp_avg_sq each
  const auto error_of = [&](const std::vector<train::NamedTensor>& tensors) {
    try {
      train::restore_adamw_state(*f.optimizer, *f.model, tensors, "opt.safetensors");
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("(no error)");
  };
  CHECK(error_of(stored) == "(no error)");
  auto reshaped = stored;
  reshaped[1].tensor = reshaped[1].tensor.reshape({-1});  // embed.weight.exp_avg flattened
  CHECK(error_of(reshaped).rfind("opt.safetensors: " + reshaped[1].name + " has shape [", 0) == 0);
  auto extra = stored;
  extra.push_back({"gone.weight.step", at::tensor({int64_t{1}}, at::kLong)});
  CHECK(error_of(extra) == "opt.safetensors: holds optimizer state of parameters the model lacks");
}
