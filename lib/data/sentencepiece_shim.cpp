// libssa_sentencepiece.so: sentencepiece behind a C interface (see sentencepiece_shim.h).
#include "lib/data/sentencepiece_shim.h"

#include <cstring>
#include <string>
#include <unordered_map>
#include <vector>

#include <sentencepiece_processor.h>
#include <sentencepiece_trainer.h>

namespace {

void set_error(const std::string& text, char* error, size_t error_size) {
  if (error_size == 0) return;
  std::strncpy(error, text.c_str(), error_size - 1);
  error[error_size - 1] = '\0';
}

}  // namespace

extern "C" {

int ssa_spm_train(const char* const* keys, const char* const* values, int count, char* error, size_t error_size) {
  std::unordered_map<std::string, std::string> args;
  for (int i = 0; i < count; ++i) args[keys[i]] = values[i];
  const auto status = sentencepiece::SentencePieceTrainer::Train(args);
  if (status.ok()) return 0;
  set_error(status.ToString(), error, error_size);
  return 1;
}

void* ssa_spm_load(const char* model_path, char* error, size_t error_size) {
  auto* model = new sentencepiece::SentencePieceProcessor();
  const auto status = model->Load(model_path);
  if (status.ok()) return model;
  set_error(status.ToString(), error, error_size);
  delete model;
  return nullptr;
}

int ssa_spm_piece_size(const void* model) {
  return static_cast<const sentencepiece::SentencePieceProcessor*>(model)->GetPieceSize();
}

int ssa_spm_eos_id(const void* model) {
  return static_cast<const sentencepiece::SentencePieceProcessor*>(model)->eos_id();
}

long ssa_spm_encode(const void* model, const char* text, size_t size, int* ids, size_t capacity, char* error,
                    size_t error_size) {
  std::vector<int> pieces;
  const auto status = static_cast<const sentencepiece::SentencePieceProcessor*>(model)->Encode(std::string(text, size),
                                                                                               &pieces);
  if (!status.ok()) {
    set_error(status.ToString(), error, error_size);
    return -1;
  }
  if (pieces.size() <= capacity) std::copy(pieces.begin(), pieces.end(), ids);
  return static_cast<long>(pieces.size());
}

void ssa_spm_free(void* model) { delete static_cast<sentencepiece::SentencePieceProcessor*>(model); }
}
