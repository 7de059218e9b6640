// Where the token stream comes from and how it is cut into training sequences.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace ssa::data {

enum class TokenFormat {
  kBytes,     // any file; each byte is a token (vocab 256)
  kUint16,    // pre-tokenized little-endian uint16 ids
  kUint32,    // pre-tokenized little-endian uint32 ids
};

struct DataConfig {
  TokenFormat format = TokenFormat::kBytes;
  std::vector<std::string> train_paths;   // required; concatenated in order
  std::vector<std::string> valid_paths;   // optional; if empty, the tail of the train stream
  double valid_fraction = 0.05;           // used only when valid_paths is empty
  int64_t seq_len = 256;                  // T: tokens per training sequence
};

}  // namespace ssa::data
