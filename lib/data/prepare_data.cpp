// enwik8 and WikiText-103 preparation and the manifest (see prepare_data.h).
#include "lib/data/prepare_data.h"

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "lib/core/error.h"
#include "lib/core/input_file.h"
#include "lib/core/string_distance.h"
#include "lib/core/json_line.h"
#include "lib/data/fairseq_dictionary.h"

namespace ssa::data {
namespace {

namespace fs = std::filesystem;

void make_out_dir(const std::string& out_dir) {
  std::error_code ec;
  fs::create_directories(out_dir, ec);
  if (ec || !fs::is_directory(out_dir)) throw Error(ExitCode::kIo, out_dir + ": cannot create the output directory");
}

void write_text(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) throw Error(ExitCode::kIo, path + ": cannot write");
}

std::string out_path(const std::string& out_dir, const std::string& split, TokenFormat format) {
  return (fs::path(out_dir) / (split + "." + format_extension(format))).string();
}

// The byte -> id table of an enwik8 dictionary: newline is </s>, unseen bytes <unk>.
std::array<int32_t, 256> byte_ids(const FairseqDictionary& dict) {
  std::array<int32_t, 256> ids{};
  for (int b = 0; b < 256; ++b)
    ids[static_cast<size_t>(b)] = b == '\n' ? FairseqDictionary::kEos : dict.index(std::to_string(b));
  return ids;
}

TokenFileInfo write_enwik8_split(const std::string& split, const std::string& path, const char* begin, int64_t n,
                                 const std::array<int32_t, 256>& ids, int64_t vocab_size) {
  TokenFileWriter writer(split, path, TokenFormat::kUint16, vocab_size);
  std::vector<int32_t> tokens;
  tokens.reserve(static_cast<size_t>(n) + 1);
  for (int64_t i = 0; i < n; ++i) tokens.push_back(ids[static_cast<unsigned char>(begin[i])]);
  if (n > 0 && begin[n - 1] != '\n') tokens.push_back(FairseqDictionary::kEos);  // the last line's </s>
  writer.write(tokens);
  return writer.close();
}

}  // namespace

PreparedData prepare_enwik8(const std::string& input, const std::string& out_dir, const Enwik8Split& split) {
  const std::string bytes = read_input_file(input, "enwik8");
  const auto size = static_cast<int64_t>(bytes.size());
  if (size != split.total_bytes) {
    throw InputError("enwik8: " + input + ": " + with_commas(size) + " bytes, expected exactly " +
                     with_commas(split.total_bytes) + " (the raw enwik8 file, unzipped)");
  }
  const int64_t train_bytes = size - split.valid_bytes - split.test_bytes;
  FairseqDictionary dict;
  std::array<int64_t, 256> counts{};
  for (int64_t i = 0; i < train_bytes; ++i) ++counts[static_cast<unsigned char>(bytes[static_cast<size_t>(i)])];
  for (int b = 0; b < 256; ++b) {
    if (b != '\n' && counts[static_cast<size_t>(b)] > 0)
      dict.add_count(std::to_string(b), counts[static_cast<size_t>(b)]);
  }
  const bool open_last_line = train_bytes > 0 && bytes[static_cast<size_t>(train_bytes - 1)] != '\n';
  dict.add_count("</s>", counts['\n'] + (open_last_line ? 1 : 0));
  dict.finalize();

  make_out_dir(out_dir);
  PreparedData out{"enwik8", out_dir, TokenFormat::kUint16, dict.size(), {}, {}};
  const auto ids = byte_ids(dict);
  const std::array<std::pair<const char*, int64_t>, 3> parts = {
      {{"train", train_bytes}, {"valid", split.valid_bytes}, {"test", split.test_bytes}}};
  int64_t offset = 0;
  for (const auto& [name, n] : parts) {
    out.splits.push_back(
        write_enwik8_split(name, out_path(out_dir, name, out.format), bytes.data() + offset, n, ids, dict.size()));
    offset += n;
  }
  const std::string dict_path = (fs::path(out_dir) / "dict.txt").string();
  write_text(dict_path, dict.to_text());
  out.other_files.push_back(dict_path);
  return out;
}

PreparedData prepare_wikitext103(const std::string& input_dir, const std::string& out_dir) {
  const auto source = [&](const std::string& split) {
    return (fs::path(input_dir) / ("wiki." + split + ".tokens")).string();
  };
  for (const std::string split : {"train", "valid", "test"}) check_input_file(source(split), "wikitext-103");
  FairseqDictionary dict;
  for_each_line("wikitext-103", source("train"), [&](std::string_view line) { dict.count_line(line); });
  dict.finalize();

  make_out_dir(out_dir);
  PreparedData out{"wikitext-103", out_dir, TokenFormat::kUint32, dict.size(), {}, {}};
  std::vector<int32_t> ids;
  for (const std::string split : {"train", "valid", "test"}) {
    TokenFileWriter writer(split, out_path(out_dir, split, out.format), out.format, dict.size());
    for_each_line("wikitext-103", source(split), [&](std::string_view line) {
      ids.clear();
      dict.encode_line(line, ids);
      writer.write(ids);
    });
    out.splits.push_back(writer.close());
  }
  const std::string dict_path = (fs::path(out_dir) / "dict.txt").string();
  write_text(dict_path, dict.to_text());
  out.other_files.push_back(dict_path);
  return out;
}

std::string write_manifest(const PreparedData& p) {
  std::string splits, summary_counts;
  for (const auto& s : p.splits) {
    char crc[16];
    std::snprintf(crc, sizeof(crc), "%08x", s.crc32);
    if (!splits.empty()) splits += ",\n";
    splits += "    " + JsonLine()
                           .add("split", s.split)
                           .add("path", fs::path(s.path).filename().string())
                           .add("tokens", s.tokens)
                           .add("crc32", std::string(crc))
                           .str();
    summary_counts += (summary_counts.empty() ? "" : ", ") + s.split + " " + with_commas(s.tokens);
  }
  std::string others;
  for (const auto& f : p.other_files)
    others += (others.empty() ? "" : ", ") + json_quote(fs::path(f).filename().string());
  const std::string manifest = "{\n  \"dataset\": " + json_quote(p.dataset) +
                               ",\n  \"format\": " + json_quote(format_name(p.format)) +
                               ",\n  \"vocab_size\": " + std::to_string(p.vocab_size) + ",\n  \"splits\": [\n" +
                               splits + "\n  ],\n  \"files\": [" + others + "]\n}\n";
  write_text((fs::path(p.out_dir) / "manifest.json").string(), manifest);
  return "prepared " + p.dataset + " in " + p.out_dir + ": " + format_name(p.format) + " tokens (" + summary_counts +
         "), vocab_size " + std::to_string(p.vocab_size) + " (set model.vocab_size), manifest.json";
}

}  // namespace ssa::data
