// Token files, batch construction and the resumable training order.
#include "tests/support/catch.h"

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <set>

#include <ATen/ATen.h>

#include "lib/core/error.h"
#include "lib/data/chunk_sampler.h"
#include "lib/data/text_corpus.h"

using namespace ssa;
using namespace ssa::data;

namespace {

std::string write_temp(const std::string& name, const std::string& bytes) {
  const std::string path = "/tmp/ssa_data_test_" + std::to_string(::getpid()) + "_" + name;  // per process (ctest -j)
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

std::string input_error(const DataConfig& c) {
  try {
    load_token_splits(c);
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST_CASE("bytes and uint16 files decode to token streams", "[data]") {
  DataConfig c;
  c.seq_len = 2;
  c.train_paths = {write_temp("a.txt", "abcdefgh")};
  c.valid_paths = {write_temp("b.txt", "xyz")};
  auto s = load_token_splits(c);
  REQUIRE(s.train.size(0) == 8);
  REQUIRE(s.train[0].item<int>() == 'a');
  c.format = TokenFormat::kUint16;
  c.train_paths = {write_temp("c.u16", std::string("\x01\x00\x00\x01\xff\xff", 6))};
  c.valid_paths = c.train_paths;
  s = load_token_splits(c);
  REQUIRE(s.train.size(0) == 3);
  REQUIRE(s.train[1].item<int>() == 256);
  REQUIRE(s.train[2].item<int>() == 65535);
  REQUIRE_THROWS_AS(check_vocabulary(s, 1000), InputError);
}

TEST_CASE("bad data files give one clear error naming key and file", "[data]") {
  DataConfig c;
  c.train_paths = {"/nonexistent/file"};
  REQUIRE(input_error(c) == "data.train_paths[0]: /nonexistent/file: no such file");
  c.train_paths = {write_temp("empty", "")};
  REQUIRE(input_error(c).find("file is empty") != std::string::npos);
  c.train_paths = {"/tmp"};
  REQUIRE(input_error(c).find("is a directory") != std::string::npos);
  c.format = TokenFormat::kUint32;
  c.train_paths = {write_temp("odd.u32", "abcde")};
  REQUIRE(input_error(c).find("not a multiple of 4") != std::string::npos);
  c.format = TokenFormat::kBytes;
  c.seq_len = 100;
  c.train_paths = {write_temp("short.txt", "short")};
  REQUIRE(input_error(c).find("fewer than one sequence") != std::string::npos);
  c.format = TokenFormat::kUint16;  // a uint16 file cut mid-token
  c.seq_len = 2;
  c.train_paths = {write_temp("cut.u16", std::string("\x01\x00\x02\x00\x03", 5))};
  REQUIRE(input_error(c).find("size 5 is not a multiple of 2 (truncated token file?)") != std::string::npos);
  c.format = TokenFormat::kUint32;  // an id that cannot be a token
  c.train_paths = {write_temp("huge.u32", std::string("\x01\x00\x00\x00\xff\xff\xff\xff", 8))};
  REQUIRE(input_error(c).find("token id 4294967295 too large") != std::string::npos);
  c.format = TokenFormat::kBytes;  // enough for training, too little held out for validation
  c.seq_len = 20;
  c.valid_fraction = 0.01;
  c.train_paths = {write_temp("small.txt", std::string(200, 'a'))};
  REQUIRE(input_error(c).find("validation tokens, fewer than one sequence") != std::string::npos);
  c.valid_paths = {write_temp("empty_valid", "")};  // a separate validation file that is empty
  REQUIRE(input_error(c) == "data.valid_paths[0]: " + c.valid_paths[0] + ": file is empty");
}

TEST_CASE("a batch pairs each sequence with its next-token targets", "[data]") {
  const auto stream = at::arange(20, at::kInt);
  const auto b = make_batch(stream, {0, 10}, 4);
  REQUIRE(b.input.sizes() == at::IntArrayRef({2, 4}));
  REQUIRE(b.input[1][0].item<int64_t>() == 10);
  REQUIRE(b.target[1][3].item<int64_t>() == 14);
  REQUIRE(b.input.scalar_type() == at::kLong);
}

TEST_CASE("an epoch visits every chunk once, and a saved position restores the continuation", "[data][sampler]") {
  ChunkSampler a(1001, 10, 5);
  const auto epoch0 = a.next(99);
  std::set<int64_t> unique(epoch0.begin(), epoch0.end());
  REQUIRE(unique.size() == epoch0.size());
  for (const int64_t s : epoch0) REQUIRE(s + 11 <= 1001);
  a.next(37);  // crosses into epoch 1
  const auto position = a.position();
  REQUIRE(position.epoch >= 1);
  const auto expected = a.next(50);
  ChunkSampler b(1001, 10, 5);
  b.set_position(position);
  REQUIRE(b.next(50) == expected);
  ChunkSampler other_seed(1001, 10, 6);
  REQUIRE(other_seed.next(20) != ChunkSampler(1001, 10, 5).next(20));
}
