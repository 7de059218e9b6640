// Token stream loading (see text_corpus.h).
#include "lib/data/text_corpus.h"

#include <vector>

#include <ATen/ATen.h>

#include "lib/core/error.h"
#include "lib/core/input_file.h"

namespace ssa::data {
namespace {

// Decodes little-endian ids to int32 (ids above INT32_MAX are rejected).
at::Tensor decode(const std::string& bytes, TokenFormat format, const std::string& key, const std::string& path) {
  const int64_t width = bytes_per_token(format);
  if (static_cast<int64_t>(bytes.size()) % width != 0) {
    throw InputError(key + ": " + path + ": size " + std::to_string(bytes.size()) + " is not a multiple of " +
                     std::to_string(width) + " (truncated token file?)");
  }
  const int64_t n = static_cast<int64_t>(bytes.size()) / width;
  auto out = at::empty({n}, at::kInt);
  auto* dst = out.data_ptr<int32_t>();
  const auto* src = reinterpret_cast<const unsigned char*>(bytes.data());
  for (int64_t i = 0; i < n; ++i) {
    uint32_t v = 0;
    for (int64_t b = width - 1; b >= 0; --b) v = (v << 8) | src[i * width + b];
    if (v > INT32_MAX) throw InputError(key + ": " + path + ": token id " + std::to_string(v) + " too large");
    dst[i] = static_cast<int32_t>(v);
  }
  return out;
}

at::Tensor load_stream(const std::vector<std::string>& paths, TokenFormat format, const std::string& key) {
  std::vector<at::Tensor> parts;
  for (size_t i = 0; i < paths.size(); ++i) {
    const std::string item_key = key + "[" + std::to_string(i) + "]";
    parts.push_back(decode(read_input_file(paths[i], item_key), format, item_key, paths[i]));
  }
  return at::cat(parts);
}

}  // namespace

TokenSplits load_token_splits(const DataConfig& config) {
  TokenSplits splits;
  const auto train = load_stream(config.train_paths, config.format, "data.train_paths");
  if (!config.valid_paths.empty()) {
    splits.train = train;
    splits.valid = load_stream(config.valid_paths, config.format, "data.valid_paths");
  } else {
    const int64_t n = train.size(0);
    const auto held_out = static_cast<int64_t>(static_cast<double>(n) * config.valid_fraction);
    splits.train = train.slice(0, 0, n - held_out);
    splits.valid = train.slice(0, n - held_out, n);
  }
  const int64_t need = config.seq_len + 1;
  if (splits.train.size(0) < need) {
    throw InputError("data.train_paths: " + std::to_string(splits.train.size(0)) +
                     " training tokens, fewer than one sequence (data.seq_len + 1 = " + std::to_string(need) + ")");
  }
  if (splits.valid.size(0) < need) {
    throw InputError("data: " + std::to_string(splits.valid.size(0)) +
                     " validation tokens, fewer than one sequence (data.seq_len + 1 = " + std::to_string(need) +
                     "); add data.valid_paths or raise data.valid_fraction");
  }
  return splits;
}

void check_vocabulary(const TokenSplits& splits, int64_t vocab_size) {
  for (const auto* stream : {&splits.train, &splits.valid}) {
    const int64_t top = stream->max().item<int64_t>();
    if (top >= vocab_size) {
      throw InputError("data: token id " + std::to_string(top) + " is outside model.vocab_size (" +
                       std::to_string(vocab_size) + ")");
    }
  }
}

Batch make_batch(const at::Tensor& stream, const std::vector<int64_t>& starts, int64_t seq_len) {
  std::vector<at::Tensor> rows;
  rows.reserve(starts.size());
  for (const int64_t s : starts) rows.push_back(stream.slice(0, s, s + seq_len + 1));
  const auto windows = at::stack(rows).to(at::kLong);  // (B, T + 1)
  return {windows.slice(1, 0, seq_len).contiguous(), windows.slice(1, 1, seq_len + 1).contiguous()};
}

}  // namespace ssa::data
