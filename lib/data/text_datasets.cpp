// Training chunks and sliding evaluation windows over a token stream (see text_datasets.h).
#include "lib/data/text_datasets.h"

#include <algorithm>

#include <ATen/ATen.h>
#include <fmt/format.h>

#include "lib/data/text_corpus.h"

namespace ssa::data {

std::vector<EvalWindow> sliding_windows(int64_t stream_length, int64_t seq_len, int64_t context) {
  const int64_t last_target = stream_length - 1;  // targets are positions 1 .. n-1
  const int64_t stride = seq_len - context;
  std::vector<EvalWindow> windows;
  if (last_target < seq_len) return windows;
  windows.push_back({0, 0});
  int64_t scored_through = seq_len;
  while (scored_through < last_target) {
    const int64_t fresh = std::min(stride, last_target - scored_through);
    const int64_t start = scored_through + fresh - seq_len;
    windows.push_back({start, seq_len - fresh});
    scored_through += fresh;
  }
  return windows;
}

Batch TokenChunks::batch(const std::vector<int64_t>& starts, std::optional<uint64_t>) const {
  return make_batch(stream_, starts, seq_len_);
}

std::string TokenChunks::describe() const { return fmt::format("{} training tokens", stream_.size(0)); }

TokenWindows::TokenWindows(at::Tensor stream, int64_t seq_len, int64_t context)
    : stream_(std::move(stream)), seq_len_(seq_len), windows_(sliding_windows(stream_.size(0), seq_len, context)) {}

Batch TokenWindows::batch(const std::vector<int64_t>& indices, std::optional<uint64_t>) const {
  std::vector<int64_t> starts, firsts;
  for (const int64_t i : indices) {
    starts.push_back(windows_[static_cast<size_t>(i)].start);
    firsts.push_back(windows_[static_cast<size_t>(i)].first_scored);
  }
  Batch b = make_batch(stream_, starts, seq_len_);
  const auto first = at::tensor(firsts, at::kLong).unsqueeze(1);          // (B, 1)
  b.target_mask = at::arange(seq_len_, at::kLong).unsqueeze(0) >= first;  // (B, T)
  return b;
}

std::string TokenWindows::describe() const {
  return fmt::format("{} validation tokens in {} windows", stream_.size(0), windows_.size());
}

}  // namespace ssa::data
