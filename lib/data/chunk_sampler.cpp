// Seeded, resumable chunk order (see chunk_sampler.h).
#include "lib/data/chunk_sampler.h"

#include <algorithm>

#include "lib/core/splitmix.h"

namespace ssa::data {

ChunkSampler::ChunkSampler(int64_t stream_length, int64_t seq_len, uint64_t seed)
    : stream_length_(stream_length), seq_len_(seq_len), seed_(seed) {
  start_epoch();
}

void ChunkSampler::start_epoch() {
  const uint64_t epoch_seed = mix_seed(seed_, static_cast<uint64_t>(position_.epoch));
  SplitMix64 rng(epoch_seed);
  // Random offset so chunk boundaries move between epochs; keep at least one whole chunk.
  const int64_t slack = stream_length_ - (seq_len_ + 1);
  offset_ = static_cast<int64_t>(rng.below(static_cast<uint64_t>(std::min(slack, seq_len_) + 1)));
  const int64_t chunks = (stream_length_ - offset_ - 1) / seq_len_;
  order_ = seeded_permutation(chunks, rng.next());
}

std::vector<int64_t> ChunkSampler::next(int64_t count) {
  std::vector<int64_t> starts;
  starts.reserve(static_cast<size_t>(count));
  while (static_cast<int64_t>(starts.size()) < count) {
    if (position_.cursor >= static_cast<int64_t>(order_.size())) {
      ++position_.epoch;
      position_.cursor = 0;
      start_epoch();
    }
    starts.push_back(offset_ + order_[static_cast<size_t>(position_.cursor++)] * seq_len_);
  }
  return starts;
}

void ChunkSampler::set_position(const OrderPosition& p) {
  position_ = p;
  start_epoch();
}

ShuffledOrder::ShuffledOrder(int64_t size, uint64_t seed) : size_(size), seed_(seed) {
  order_ = seeded_permutation(size_, mix_seed(seed_, 0));
}

std::vector<int64_t> ShuffledOrder::next(int64_t count) {
  std::vector<int64_t> indices;
  indices.reserve(static_cast<size_t>(count));
  while (static_cast<int64_t>(indices.size()) < count) {
    if (position_.cursor >= size_) {
      ++position_.epoch;
      position_.cursor = 0;
      order_ = seeded_permutation(size_, mix_seed(seed_, static_cast<uint64_t>(position_.epoch)));
    }
    indices.push_back(order_[static_cast<size_t>(position_.cursor++)]);
  }
  return indices;
}

void ShuffledOrder::set_position(const OrderPosition& p) {
  position_ = p;
  order_ = seeded_permutation(size_, mix_seed(seed_, static_cast<uint64_t>(position_.epoch)));
}

}  // namespace ssa::data
