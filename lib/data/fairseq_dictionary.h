// A word dictionary with fairseq's semantics (fairseq/data/dictionary.py), so token ids match a
// fairseq-preprocess run: specials <s>=0, <pad>=1, </s>=2, <unk>=3; then words by descending
// count, ties in code-point order; padded with madeupwordNNNN (count 0) to a multiple of 8.
// Lines are fairseq's tokenize_line: split on Python's whitespace, one </s> appended per line.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace ssa::data {

class FairseqDictionary {
 public:
  static constexpr int32_t kBos = 0, kPad = 1, kEos = 2, kUnk = 3, kSpecials = 4;

  FairseqDictionary();

  // Counting (before finalize): each word of the line once, plus one </s>.
  void count_line(std::string_view line);
  void add_count(const std::string& word, int64_t n);  // a word equal to a special adds to it

  // Orders the counted words and pads; afterwards index() and encode_line() work.
  void finalize(int64_t padding_factor = 8);

  int64_t size() const { return static_cast<int64_t>(symbols_.size()); }
  const std::vector<std::string>& symbols() const { return symbols_; }
  int64_t count(int32_t id) const { return counts_[static_cast<size_t>(id)]; }
  int32_t index(const std::string& word) const;  // kUnk when absent
  // Appends the ids of the line's words and a </s> to `out`.
  void encode_line(std::string_view line, std::vector<int32_t>& out) const;

  // dict.txt as fairseq writes it: "word count" for every entry after the specials.
  std::string to_text() const;
  // The dictionary a dict.txt describes (finalized; ids as fairseq assigns them). A line that is
  // not "word count" is an InputError naming `name` and the line.
  static FairseqDictionary from_text(const std::string& text, const std::string& name);

 private:
  std::vector<std::string> symbols_;
  std::vector<int64_t> counts_;
  std::unordered_map<std::string, int64_t> pending_;  // counted words before finalize
  std::unordered_map<std::string, int32_t> ids_;
  bool finalized_ = false;
};

// Calls fn(word) for each whitespace-separated word of a UTF-8 line. Whitespace is Python's
// str.split(): ASCII \t\n\v\f\r, 0x1c-0x1f, space, and the Unicode spaces (U+0085, U+00A0,
// U+1680, U+2000-U+200A, U+2028, U+2029, U+202F, U+205F, U+3000).
template <class Fn>
void for_each_word(std::string_view line, Fn&& fn);

// Length in bytes of the whitespace character at line[i], or 0 when it is not whitespace.
size_t whitespace_length(std::string_view line, size_t i);

template <class Fn>
void for_each_word(std::string_view line, Fn&& fn) {
  size_t i = 0, start = 0;
  bool in_word = false;
  while (i < line.size()) {
    const size_t space = whitespace_length(line, i);
    if (space > 0) {
      if (in_word) fn(line.substr(start, i - start));
      in_word = false;
      i += space;
    } else {
      if (!in_word) start = i;
      in_word = true;
      ++i;
    }
  }
  if (in_word) fn(line.substr(start));
}

}  // namespace ssa::data
