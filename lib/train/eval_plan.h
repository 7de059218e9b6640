// Who evaluates what, and which collectives follow, as pure functions of the world size, the
// number of validation batches and the ensemble size (plus, when ranks split a batch's members,
// the rows and classes every rank agrees on first). Every rank derives the same plan, so every
// rank issues the same collectives in the same order by construction; the evaluator follows it.
#pragma once
#include <cstdint>
#include <vector>

namespace ssa::train {

// 1, 2, 4, ... below `samples`, then `samples`: where the ensemble curve is reported and where
// ranks that split members merge them. Empty when samples is 0.
std::vector<int64_t> ensemble_sizes(int64_t samples);

// A rank's part in one batch: the batch is shared by `sharers` ranks `stride` apart, counted from
// the one that computes dense attention and scores (position 0); this rank is the position-th.
// Members k = position, position + sharers, ... are this rank's.
struct Share {
  int64_t batch = 0;  // batch number
  int64_t sharers = 1, position = 0, stride = 1;
  bool scores() const { return position == 0; }
  bool holds(int64_t member) const { return member % sharers == position; }
  int64_t members_held(int64_t size) const;  // of members 0 .. size-1
};

// With fewer batches than ranks (and at least one), ranks split the members of each batch and
// merge them at every ensemble size; otherwise no collective happens inside a batch.
bool members_split(int64_t batches, int64_t world);

// With batches >= world, batch b is rank (b mod world)'s alone (uneven shards differ by one
// batch). With fewer batches B, ranks b, b + B, b + 2B, ... share batch b: every rank holds
// exactly one share.
std::vector<Share> shares_of_rank(int64_t batches, int64_t world, int64_t rank);

// How the members' sums of all split batches meet, at each ensemble size: in rounds of
// `rows_per_round` rows, each round one sum of a (batches, rows_per_round, classes) float64
// buffer and one of (batches, rows_per_round). max_rows and classes are agreed over ranks first.
struct MergeRounds {
  int64_t rows_per_round = 1, rounds = 0;
};
// Bounds a round's buffer by buffer_bytes (at least one row per round).
MergeRounds merge_rounds(int64_t batches, int64_t max_rows, int64_t classes, int64_t buffer_bytes);
inline constexpr int64_t kMergeBufferBytes = int64_t{64} << 20;  // 64 MiB

}  // namespace ssa::train
