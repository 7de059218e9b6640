// prepare-data: the fairseq dictionary order and padding against a hand-computed example, the
// enwik8 split and byte ids, WikiText-103 token files read back by the trainer's loader, input
// errors naming the file, and sentencepiece train + encode on Debian's fortunes.
#include "tests/support/catch.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <ATen/ATen.h>

#include "lib/core/error.h"
#include "lib/data/fairseq_dictionary.h"
#include "lib/data/prepare_data.h"
#include "lib/data/text_corpus.h"
#include "tests/support/text_io.h"

using namespace ssa;
using namespace ssa::data;
namespace fs = std::filesystem;

namespace {

std::string fresh_dir(const std::string& name) {
  const auto dir = fs::temp_directory_path() / ("ssa_prepare_" + name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir.string();
}

void write_file(const std::string& path, const std::string& text) { std::ofstream(path, std::ios::binary) << text; }

// A token file as the trainer reads it (data.format, data.train_paths).
std::vector<int32_t> load_tokens(const std::string& path, TokenFormat format) {
  DataConfig c;
  c.format = format;
  c.train_paths = {path};
  c.valid_paths = {path};
  c.seq_len = 1;
  const auto t = load_token_splits(c).train;
  return {t.data_ptr<int32_t>(), t.data_ptr<int32_t>() + t.numel()};
}

const char* kTinyWiki =
    " = Title = \n"
    " the cat sat \n"
    "\n"
    " the dog Zebra \r\n"
    " a cat the <unk> \n";

}  // namespace

TEST_CASE("fairseq dictionary: counts descending, ties in code-point order, padded to 8", "[unit][prepare]") {
  FairseqDictionary d;
  for (const char* line : {" the cat sat ", "the dog Zebra", "a cat the <unk>", ""}) d.count_line(line);
  d.finalize();
  // the 3, cat 2, then the count-1 words by code point ('Z' < 'a' < 'd' < 's'); '=' would come first.
  const std::vector<std::string> expected = {"<s>",
                                             "<pad>",
                                             "</s>",
                                             "<unk>",
                                             "the",
                                             "cat",
                                             "Zebra",
                                             "a",
                                             "dog",
                                             "sat",
                                             "madeupword0000",
                                             "madeupword0001",
                                             "madeupword0002",
                                             "madeupword0003",
                                             "madeupword0004",
                                             "madeupword0005"};
  REQUIRE(d.symbols() == expected);
  CHECK(d.count(FairseqDictionary::kEos) == 4);  // one per line, empty lines too
  CHECK(d.count(FairseqDictionary::kUnk) == 1);  // a literal <unk> merges with the special
  CHECK(d.to_text().rfind("the 3\ncat 2\nZebra 1\na 1\ndog 1\nsat 1\nmadeupword0000 0\n", 0) == 0);
  std::vector<int32_t> ids;
  d.encode_line("the unseen\tcat", ids);
  CHECK(ids == std::vector<int32_t>{4, 3, 5, 2});

  // dict.txt read back (what `sample --dict` does): the same ids and counts.
  const auto back = FairseqDictionary::from_text(d.to_text(), "dict.txt");
  CHECK(back.symbols() == expected);
  CHECK(back.index("Zebra") == 6);
  CHECK(back.count(4) == 3);
  CHECK(back.to_text() == d.to_text());
  CHECK_THROWS_WITH(FairseqDictionary::from_text("the 3\ncat two\n", "d.txt"),
                    "d.txt:2: expected \"word count\", got \"cat two\"");
}

TEST_CASE("fairseq tokenization splits on Python's whitespace, Unicode spaces included", "[unit][prepare]") {
  std::vector<std::string> words;
  for_each_word(
      "a\xc2\xa0"
      "b\xe2\x80\x89"
      "c\x1f"
      "d  \xc3\xa9",
      [&](std::string_view w) { words.emplace_back(w); });
  CHECK(words == std::vector<std::string>{"a", "b", "c", "d", "\xc3\xa9"});  // U+00A0, U+2009, 0x1f; é is a letter
}

TEST_CASE("wikitext-103: dict from train, one </s> per line, uint32 files the loader reads", "[unit][prepare]") {
  const auto in = fresh_dir("wt_in"), out = fresh_dir("wt_out");
  write_file(in + "/wiki.train.tokens", kTinyWiki);
  write_file(in + "/wiki.valid.tokens", " the unicorn \n");
  write_file(in + "/wiki.test.tokens", "cat\rdog");  // a lone \r ends a line (Python text mode)
  const auto p = prepare_wikitext103(in, out + "/bin");
  // Words: the 3, then = and cat (2 each), Title, Zebra, a, dog, sat (1 each): 12 entries -> 16.
  CHECK(p.vocab_size == 16);
  CHECK(p.format == TokenFormat::kUint32);
  // the 4, = 5, cat 6, Title 7, Zebra 8, a 9, dog 10, sat 11; </s> 2, <unk> 3.
  const std::vector<int32_t> train = {5, 7, 5, 2, 4, 6, 11, 2, 2, 4, 10, 8, 2, 9, 6, 4, 3, 2};
  CHECK(load_tokens(out + "/bin/train.u32", TokenFormat::kUint32) == train);
  CHECK(load_tokens(out + "/bin/valid.u32", TokenFormat::kUint32) == std::vector<int32_t>{4, 3, 2});
  CHECK(load_tokens(out + "/bin/test.u32", TokenFormat::kUint32) == std::vector<int32_t>{6, 2, 10, 2});
  REQUIRE(p.splits.size() == 3);
  CHECK(p.splits[0].tokens == static_cast<int64_t>(train.size()));
  const std::string summary = write_manifest(p);
  CHECK(summary.find("vocab_size 16") != std::string::npos);
  const std::string manifest = ssa::test::read_file(out + "/bin/manifest.json");
  CHECK(manifest.find("\"vocab_size\": 16") != std::string::npos);
  CHECK(manifest.find("\"tokens\":18") != std::string::npos);
  CHECK(ssa::test::read_file(out + "/bin/dict.txt").rfind("the 3\n= 2\ncat 2\n", 0) == 0);
}

TEST_CASE("enwik8: byte words, newline = </s>, split sizes, unseen bytes are <unk>", "[unit][prepare]") {
  const auto dir = fresh_dir("enwik8");
  // train "aab\nb" (5 bytes), valid "a\n" , test "zb": 'z' is not in train.
  write_file(dir + "/enwik8", std::string("aab\nb") + "a\n" + "zb");
  const Enwik8Split split{9, 2, 2};
  const auto p = prepare_enwik8(dir + "/enwik8", dir + "/out", split);
  // 'a' = "97" and 'b' = "98" both count 2: code-point order puts "97" first. 4 + 2 -> 8.
  CHECK(p.vocab_size == 8);
  CHECK(ssa::test::read_file(dir + "/out/dict.txt") == "97 2\n98 2\nmadeupword0000 0\nmadeupword0001 0\n");
  CHECK(load_tokens(dir + "/out/train.u16", TokenFormat::kUint16) == std::vector<int32_t>{4, 4, 5, 2, 5, 2});
  CHECK(load_tokens(dir + "/out/valid.u16", TokenFormat::kUint16) == std::vector<int32_t>{4, 2});
  CHECK(load_tokens(dir + "/out/test.u16", TokenFormat::kUint16) == std::vector<int32_t>{3, 5, 2});
}

TEST_CASE("prepare-data input errors are one line naming the file", "[unit][prepare]") {
  const auto dir = fresh_dir("errors");
  write_file(dir + "/enwik8", "short");
  CHECK_THROWS_WITH(prepare_enwik8(dir + "/enwik8", dir + "/out"),
                    Catch::Contains(dir + "/enwik8: 5 bytes, expected exactly 100,000,000"));
  CHECK_THROWS_WITH(prepare_enwik8(dir + "/missing", dir + "/out"), Catch::Contains(dir + "/missing: no such file"));
  write_file(dir + "/wiki.train.tokens", kTinyWiki);
  write_file(dir + "/wiki.valid.tokens", "");
  CHECK_THROWS_AS(prepare_wikitext103(dir, dir + "/out"), InputError);
  CHECK_THROWS_WITH(prepare_wikitext103(dir, dir + "/out"), Catch::Contains("wiki.valid.tokens: file is empty"));
  write_file(dir + "/wiki.valid.tokens", "x\n");
  CHECK_THROWS_WITH(prepare_wikitext103(dir, dir + "/out"), Catch::Contains("wiki.test.tokens: no such file"));
}

#ifdef SSA_WITH_SENTENCEPIECE
TEST_CASE("sentencepiece: train on fortunes, encode, and re-encode with the saved model", "[unit][prepare]") {
  const std::string fortunes = "/usr/share/games/fortunes/fortunes";
  const auto dir = fresh_dir("spm");
  SentencePieceOptions o;
  o.train_text = fortunes;
  o.valid_text = fortunes;
  o.vocab_size = 300;
  const auto trained = prepare_sentencepiece(o, dir + "/a");
  CHECK(trained.vocab_size == 300);
  CHECK(trained.format == TokenFormat::kUint16);
  const auto ids = load_tokens(dir + "/a/train.u16", TokenFormat::kUint16);
  int64_t lines = 0;
  for_each_line("fortunes", fortunes, [&](std::string_view) { ++lines; });
  CHECK(std::count(ids.begin(), ids.end(), 2) == lines);  // </s> (id 2) ends every line
  CHECK(*std::max_element(ids.begin(), ids.end()) < 300);
  CHECK(static_cast<int64_t>(ids.size()) < 24516 * 3 / 4);  // 24,516 bytes: pieces join characters

  SentencePieceOptions reuse;
  reuse.train_text = fortunes;
  reuse.model = dir + "/a/spm.model";
  const auto encoded = prepare_sentencepiece(reuse, dir + "/b");
  REQUIRE(encoded.splits.size() == 1);
  CHECK(encoded.splits[0].crc32 == trained.splits[0].crc32);
  CHECK(encoded.splits[0].tokens == trained.splits[0].tokens);
  CHECK(fs::exists(dir + "/b/spm.model"));
}
#endif
