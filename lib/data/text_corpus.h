// Loads token streams from files: raw bytes (any text), or pre-tokenized uint16/uint32 ids.
// Every problem (missing, unreadable, empty, wrong size) is one InputError naming key and file.
#pragma once
#include <cstdint>

#include <ATen/core/Tensor.h>

#include "lib/core/batch.h"
#include "lib/data/data_config.h"

namespace ssa::data {

struct TokenSplits {
  at::Tensor train;  // (N_train) int32 token ids
  at::Tensor valid;  // (N_valid) int32 token ids
};

TokenSplits load_token_splits(const DataConfig& config);

// Throws InputError if any id is >= vocab_size.
void check_vocabulary(const TokenSplits& splits, int64_t vocab_size);

// Sequences stream[s : s+T] -> stream[s+1 : s+T+1] for each start s. Returns (B, T) int64 pairs.
Batch make_batch(const at::Tensor& stream, const std::vector<int64_t>& starts, int64_t seq_len);

}  // namespace ssa::data
