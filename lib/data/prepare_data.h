// `ssa-train prepare-data`: the files a user downloads -> the token files the trainer reads
// (data.format uint16/uint32), with dict.txt or a sentencepiece model and a manifest.json that
// records the vocabulary size (model.vocab_size), token counts and CRC-32s. docs/data-preparation.md.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "lib/data/data_config.h"
#include "lib/data/token_writer.h"

namespace ssa::data {

// What one preparation wrote.
struct PreparedData {
  std::string dataset;  // "enwik8", "wikitext-103", "sentencepiece"
  std::string out_dir;
  TokenFormat format = TokenFormat::kUint16;
  int64_t vocab_size = 0;                // set model.vocab_size to this
  std::vector<TokenFileInfo> splits;     // train first
  std::vector<std::string> other_files;  // dict.txt, spm.model, ...
};

// The standard enwik8 split (prep_enwik8.py): the last 10M bytes are valid (first 5M) and test.
// Tests pass smaller sizes; the command always uses these.
struct Enwik8Split {
  int64_t total_bytes = 100'000'000;
  int64_t valid_bytes = 5'000'000;
  int64_t test_bytes = 5'000'000;
};

// enwik8 as fairseq tokenizes prep_enwik8.py's output: every byte is the word of its decimal
// value, a newline is </s> (and a split not ending in one gets a final </s>); the dictionary
// comes from train (205 distinct bytes -> 208 entries); unseen bytes are <unk>. uint16 files.
// Throws InputError when the file is missing, empty or not exactly split.total_bytes long.
PreparedData prepare_enwik8(const std::string& input, const std::string& out_dir, const Enwik8Split& split = {});

// WikiText-103 (tokenized v1): wiki.{train,valid,test}.tokens in input_dir -> dict.txt from
// train (FairseqDictionary) and uint32 token files, one </s> per line.
PreparedData prepare_wikitext103(const std::string& input_dir, const std::string& out_dir);

struct SentencePieceOptions {
  std::string train_text;              // encoded as "train"; also the trainer's input
  std::string valid_text, test_text;   // optional
  std::string model;                   // an existing .model: encode only, no training
  int64_t vocab_size = 8000;           // when training
  std::string model_type = "unigram";  // unigram | bpe | char | word
  double character_coverage = 0.9995;  // sentencepiece's default for mixed scripts
  int64_t max_sentences = 0;           // lines sampled for training; 0 = all
};

// Trains (or loads) a sentencepiece model and encodes each text line by line, appending the
// model's </s> id to every line (as the word-level data does). Files are uint16 when the
// vocabulary fits, else uint32. Throws ConfigError when built without sentencepiece.
PreparedData prepare_sentencepiece(const SentencePieceOptions& options, const std::string& out_dir);

// Writes <out_dir>/manifest.json; returns the one-line summary the command prints.
std::string write_manifest(const PreparedData& prepared);

}  // namespace ssa::data
