// The C interface of libssa_sentencepiece.so, the one object that links libsentencepiece.
// libsentencepiece carries its own copy of protobuf whose exported symbols clash with the
// libprotobuf LibTorch loads (ssa-train crashes at startup when both are linked), so
// prepare_sentencepiece.cpp opens this library with dlopen(RTLD_LOCAL | RTLD_DEEPBIND) only when
// the sentencepiece mode runs. Errors are returned as text in `error` (capacity error_size).
#pragma once
#include <cstddef>

extern "C" {

// sentencepiece::SentencePieceTrainer::Train with keys[i]=values[i]; returns 0 on success.
int ssa_spm_train(const char* const* keys, const char* const* values, int count, char* error, size_t error_size);
// A loaded model, or null with `error` set.
void* ssa_spm_load(const char* model_path, char* error, size_t error_size);
int ssa_spm_piece_size(const void* model);
int ssa_spm_eos_id(const void* model);
// Encodes text[0:size) into ids; returns the id count, or -1 with `error` set. When the count
// exceeds capacity, call again with a larger buffer.
long ssa_spm_encode(const void* model, const char* text, size_t size, int* ids, size_t capacity, char* error,
                    size_t error_size);
void ssa_spm_free(void* model);
}
