// The training order: each epoch cuts the stream into non-overlapping (T+1)-token chunks at a
// random offset and visits them in a seeded random order. The whole state is (epoch, cursor),
// so resuming continues with exactly the sequences an uninterrupted run would see.
#pragma once
#include <cstdint>
#include <vector>

namespace ssa::data {

struct SamplerPosition {
  int64_t epoch = 0;
  int64_t cursor = 0;  // sequences already taken in this epoch
};

class ChunkSampler {
 public:
  ChunkSampler(int64_t stream_length, int64_t seq_len, uint64_t seed);

  // Start offsets of the next `count` sequences of the global order (crossing epochs as needed).
  std::vector<int64_t> next(int64_t count);

  SamplerPosition position() const { return position_; }
  void set_position(const SamplerPosition& p);

 private:
  void start_epoch();
  int64_t stream_length_, seq_len_;
  uint64_t seed_;
  SamplerPosition position_;
  int64_t offset_ = 0;
  std::vector<int64_t> order_;  // chunk indices of the current epoch
};

}  // namespace ssa::data
