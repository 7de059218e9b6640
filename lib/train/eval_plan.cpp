// The evaluation's division of work and its collectives (see eval_plan.h).
#include "lib/train/eval_plan.h"

#include <algorithm>

namespace ssa::train {

std::vector<int64_t> ensemble_sizes(int64_t samples) {
  std::vector<int64_t> sizes;
  for (int64_t k = 1; k < samples; k *= 2) sizes.push_back(k);
  if (samples > 0) sizes.push_back(samples);
  return sizes;
}

int64_t Share::members_held(int64_t size) const { return size > position ? (size - 1 - position) / sharers + 1 : 0; }

bool members_split(int64_t batches, int64_t world) { return batches > 0 && batches < world; }

std::vector<Share> shares_of_rank(int64_t batches, int64_t world, int64_t rank) {
  std::vector<Share> shares;
  if (!members_split(batches, world)) {
    for (int64_t b = rank; b < batches; b += world) shares.push_back({b, 1, 0, 1});
    return shares;
  }
  const int64_t b = rank % batches;
  shares.push_back({b, (world - 1 - b) / batches + 1, rank / batches, batches});
  return shares;
}

MergeRounds merge_rounds(int64_t batches, int64_t max_rows, int64_t classes, int64_t buffer_bytes) {
  const int64_t row_bytes = std::max<int64_t>(1, batches * classes * static_cast<int64_t>(sizeof(double)));
  const int64_t rows = std::max<int64_t>(1, std::min(std::max<int64_t>(max_rows, 1), buffer_bytes / row_bytes));
  return {rows, (max_rows + rows - 1) / rows};
}

}  // namespace ssa::train
