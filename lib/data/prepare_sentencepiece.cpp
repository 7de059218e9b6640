// Sentencepiece training and encoding (see prepare_data.h). Built only with libsentencepiece-dev.
#include <filesystem>
#include <unordered_map>

#include <sentencepiece_processor.h>
#include <sentencepiece_trainer.h>

#include "lib/core/error.h"
#include "lib/data/prepare_data.h"

namespace ssa::data {
namespace {

namespace fs = std::filesystem;

std::string train_model(const SentencePieceOptions& o, const std::string& out_dir) {
  const std::string prefix = (fs::path(out_dir) / "spm").string();
  const std::unordered_map<std::string, std::string> args = {
      {"input", o.train_text},
      {"model_prefix", prefix},
      {"vocab_size", std::to_string(o.vocab_size)},
      {"model_type", o.model_type},
      {"character_coverage", std::to_string(o.character_coverage)},
      {"input_sentence_size", std::to_string(o.max_sentences)},
      {"shuffle_input_sentence", "true"},
      {"minloglevel", "1"},  // warnings and errors only
  };
  const auto status = sentencepiece::SentencePieceTrainer::Train(args);
  if (!status.ok()) {
    throw InputError("sentencepiece: training on " + o.train_text + " failed: " + status.ToString());
  }
  return prefix + ".model";
}

TokenFileInfo encode_file(const sentencepiece::SentencePieceProcessor& spm, const std::string& split,
                          const std::string& text, const std::string& out_dir, TokenFormat format) {
  const int64_t vocab = spm.GetPieceSize();
  TokenFileWriter writer(split, (fs::path(out_dir) / (split + "." + format_extension(format))).string(), format, vocab);
  std::vector<int> pieces;
  std::vector<int32_t> ids;
  for_each_line("sentencepiece", text, [&](std::string_view line) {
    const auto status = spm.Encode(absl::string_view(line.data(), line.size()), &pieces);
    if (!status.ok()) throw InputError("sentencepiece: " + text + ": " + status.ToString());
    ids.assign(pieces.begin(), pieces.end());
    if (spm.eos_id() >= 0) ids.push_back(spm.eos_id());
    writer.write(ids);
  });
  return writer.close();
}

}  // namespace

PreparedData prepare_sentencepiece(const SentencePieceOptions& o, const std::string& out_dir) {
  check_input_file("sentencepiece", o.train_text);
  for (const auto* text : {&o.valid_text, &o.test_text}) {
    if (!text->empty()) check_input_file("sentencepiece", *text);
  }
  std::error_code ec;
  fs::create_directories(out_dir, ec);
  if (ec || !fs::is_directory(out_dir)) throw Error(ExitCode::kIo, out_dir + ": cannot create the output directory");
  std::string model = o.model;
  if (model.empty()) {
    model = train_model(o, out_dir);
  } else {
    check_input_file("sentencepiece --model", model);
    const std::string copy = (fs::path(out_dir) / "spm.model").string();
    if (!fs::exists(copy) || !fs::equivalent(model, copy)) {
      fs::copy_file(model, copy, fs::copy_options::overwrite_existing, ec);
      if (ec) throw Error(ExitCode::kIo, copy + ": cannot copy the model here");
    }
    model = copy;  // the output directory holds everything a run needs
  }
  sentencepiece::SentencePieceProcessor spm;
  const auto status = spm.Load(model);
  if (!status.ok()) throw InputError("sentencepiece --model: " + model + ": " + status.ToString());
  PreparedData out{"sentencepiece", out_dir, smallest_format(spm.GetPieceSize()), spm.GetPieceSize(), {}, {model}};
  const std::vector<std::pair<std::string, std::string>> texts = {
      {"train", o.train_text}, {"valid", o.valid_text}, {"test", o.test_text}};
  for (const auto& [split, text] : texts) {
    if (!text.empty()) out.splits.push_back(encode_file(spm, split, text, out_dir, out.format));
  }
  return out;
}

}  // namespace ssa::data
