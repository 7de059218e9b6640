// The two things the trainer needs from any data: a split that turns indices into a batch, and
// a resumable training order over those indices. Text, images and molecules implement them.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "lib/core/batch.h"

namespace ssa::data {

class Dataset {
 public:
  virtual ~Dataset() = default;
  // How many indices batch() accepts: examples (images, molecules), evaluation windows (text),
  // or token positions (a training text stream, where the order draws chunk starts).
  virtual int64_t size() const = 0;
  // The examples at `indices` as one batch on the CPU. `augment_seed` seeds random training
  // transforms (flips, crops, mixup); nullopt means none (evaluation). Same seed, same batch.
  virtual Batch batch(const std::vector<int64_t>& indices, std::optional<uint64_t> augment_seed) const = 0;
  // One line for the log: "60000 images 28x28x1, 10 classes".
  virtual std::string describe() const = 0;
};

struct OrderPosition {
  int64_t epoch = 0;
  int64_t cursor = 0;  // indices already taken in this epoch
};

// The global order in which training indices are visited. Its whole state is an OrderPosition,
// so a resumed run continues with exactly the indices an uninterrupted run would see.
class TrainingOrder {
 public:
  virtual ~TrainingOrder() = default;
  virtual std::vector<int64_t> next(int64_t count) = 0;  // crossing epochs as needed
  virtual OrderPosition position() const = 0;
  virtual void set_position(const OrderPosition& p) = 0;
};

}  // namespace ssa::data
