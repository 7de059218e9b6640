// Text as Datasets: training chunks drawn from the token stream by a ChunkSampler, and the
// sliding evaluation windows of fairseq (each window scores seq_len - context new tokens with up to
// `context` tokens of prior context; context 0: consecutive non-overlapping sequences).
#pragma once
#include <cstdint>
#include <vector>

#include "lib/data/dataset.h"

namespace ssa::data {

// One forward window: input stream[start : start+T], scoring its positions from `first_scored`.
struct EvalWindow {
  int64_t start = 0;
  int64_t first_scored = 0;
};

// The windows that score every target of the stream exactly once (positions 1 .. n-1).
std::vector<EvalWindow> sliding_windows(int64_t stream_length, int64_t seq_len, int64_t context);

// Training: indices are chunk starts in the stream; input (B, T), target (B, T) shifted by one.
class TokenChunks : public Dataset {
 public:
  TokenChunks(at::Tensor stream, int64_t seq_len) : stream_(std::move(stream)), seq_len_(seq_len) {}
  int64_t size() const override { return stream_.size(0); }
  Batch batch(const std::vector<int64_t>& starts, std::optional<uint64_t> augment_seed) const override;
  std::string describe() const override;

 private:
  at::Tensor stream_;  // (N) int32 token ids
  int64_t seq_len_;
};

// Evaluation: index i is sliding window i; target_mask marks the positions it scores.
class TokenWindows : public Dataset {
 public:
  TokenWindows(at::Tensor stream, int64_t seq_len, int64_t context);
  int64_t size() const override { return static_cast<int64_t>(windows_.size()); }
  Batch batch(const std::vector<int64_t>& indices, std::optional<uint64_t> augment_seed) const override;
  std::string describe() const override;

 private:
  at::Tensor stream_;  // (N) int32 token ids
  int64_t seq_len_;
  std::vector<EvalWindow> windows_;
};

}  // namespace ssa::data
