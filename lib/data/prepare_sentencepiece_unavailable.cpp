// prepare_sentencepiece when ssa-train was built without libsentencepiece-dev: says so.
#include "lib/core/error.h"
#include "lib/data/prepare_data.h"

namespace ssa::data {

PreparedData prepare_sentencepiece(const SentencePieceOptions&, const std::string&) {
  throw ConfigError(
      "prepare-data sentencepiece: this ssa-train was built without sentencepiece "
      "(install libsentencepiece-dev and rebuild)");
}

}  // namespace ssa::data
