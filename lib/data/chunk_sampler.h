// Training orders. Text: each epoch cuts the stream into non-overlapping (T+1)-token chunks at a
// random offset and visits them in a seeded random order. The whole state is (epoch, cursor),
// so resuming continues with exactly the sequences an uninterrupted run would see.
#pragma once
#include <cstdint>
#include <vector>

#include "lib/data/dataset.h"

namespace ssa::data {

class ChunkSampler : public TrainingOrder {
 public:
  ChunkSampler(int64_t stream_length, int64_t seq_len, uint64_t seed);

  // Start offsets of the next `count` sequences of the global order (crossing epochs as needed).
  std::vector<int64_t> next(int64_t count) override;

  OrderPosition position() const override { return position_; }
  void set_position(const OrderPosition& p) override;

 private:
  void start_epoch();
  int64_t stream_length_, seq_len_;
  uint64_t seed_;
  OrderPosition position_;
  int64_t offset_ = 0;
  std::vector<int64_t> order_;  // chunk indices of the current epoch
};

}  // namespace ssa::data

namespace ssa::data {

// Examples: every epoch visits [0, size) once in a seeded random order.
class ShuffledOrder : public TrainingOrder {
 public:
  ShuffledOrder(int64_t size, uint64_t seed);
  std::vector<int64_t> next(int64_t count) override;
  OrderPosition position() const override { return position_; }
  void set_position(const OrderPosition& p) override;

 private:
  int64_t size_;
  uint64_t seed_;
  OrderPosition position_;
  std::vector<int64_t> order_;  // the current epoch's permutation
};

}  // namespace ssa::data
