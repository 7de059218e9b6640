// fairseq-compatible word dictionary (see fairseq_dictionary.h).
#include "lib/data/fairseq_dictionary.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "lib/core/error.h"

namespace ssa::data {

size_t whitespace_length(std::string_view s, size_t i) {
  const auto at = [&](size_t k) { return k < s.size() ? static_cast<unsigned char>(s[k]) : 0u; };
  const unsigned c = at(i);
  if ((c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x20)) return 1;
  if (c == 0xc2 && (at(i + 1) == 0x85 || at(i + 1) == 0xa0)) return 2;  // U+0085, U+00A0
  if (c == 0xe1 && at(i + 1) == 0x9a && at(i + 2) == 0x80) return 3;    // U+1680
  if (c == 0xe2 && at(i + 1) == 0x80) {
    const unsigned t = at(i + 2);
    if ((t >= 0x80 && t <= 0x8a) || t == 0xa8 || t == 0xa9 || t == 0xaf) return 3;  // U+2000-200A, 2028, 2029, 202F
  }
  if (c == 0xe2 && at(i + 1) == 0x81 && at(i + 2) == 0x9f) return 3;  // U+205F
  if (c == 0xe3 && at(i + 1) == 0x80 && at(i + 2) == 0x80) return 3;  // U+3000
  return 0;
}

FairseqDictionary::FairseqDictionary() : symbols_{"<s>", "<pad>", "</s>", "<unk>"}, counts_(kSpecials, 0) {
  for (int32_t i = 0; i < kSpecials; ++i) ids_[symbols_[static_cast<size_t>(i)]] = i;
}

void FairseqDictionary::count_line(std::string_view line) {
  for_each_word(line, [this](std::string_view word) { add_count(std::string(word), 1); });
  counts_[kEos] += 1;
}

void FairseqDictionary::add_count(const std::string& word, int64_t n) {
  if (finalized_) throw Error(ExitCode::kInternal, "FairseqDictionary: add_count after finalize");
  const auto special = ids_.find(word);
  if (special != ids_.end()) {
    counts_[static_cast<size_t>(special->second)] += n;
  } else {
    pending_[word] += n;
  }
}

void FairseqDictionary::finalize(int64_t padding_factor) {
  // fairseq: Counter(dict(sorted(words))).most_common(), a stable sort by descending count.
  std::vector<std::pair<std::string, int64_t>> words(pending_.begin(), pending_.end());
  std::sort(words.begin(), words.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;  // byte order = code-point order
  });
  pending_.clear();
  for (auto& [word, n] : words) {
    ids_[word] = static_cast<int32_t>(symbols_.size());
    symbols_.push_back(std::move(word));
    counts_.push_back(n);
  }
  for (int64_t i = 0; padding_factor > 1 && size() % padding_factor != 0; ++i) {
    char name[32];
    std::snprintf(name, sizeof(name), "madeupword%04lld", static_cast<long long>(i));
    ids_[name] = static_cast<int32_t>(symbols_.size());
    symbols_.emplace_back(name);
    counts_.push_back(0);
  }
  finalized_ = true;
}

int32_t FairseqDictionary::index(const std::string& word) const {
  const auto it = ids_.find(word);
  return it == ids_.end() ? kUnk : it->second;
}

void FairseqDictionary::encode_line(std::string_view line, std::vector<int32_t>& out) const {
  std::string word;
  for_each_word(line, [&](std::string_view w) {
    word.assign(w);
    out.push_back(index(word));
  });
  out.push_back(kEos);
}

FairseqDictionary FairseqDictionary::from_text(const std::string& text, const std::string& name) {
  FairseqDictionary d;
  size_t line_number = 0;
  for (size_t at = 0; at < text.size();) {
    const size_t end = std::min(text.find('\n', at), text.size());
    const std::string line = text.substr(at, end - at);
    at = end + 1;
    ++line_number;
    const size_t space = line.rfind(' ');
    char* parsed_end = nullptr;
    const long long count = space == std::string::npos ? -1 : std::strtoll(line.c_str() + space + 1, &parsed_end, 10);
    if (space == 0 || count < 0 || parsed_end == nullptr || *parsed_end != '\0') {
      throw InputError(name + ":" + std::to_string(line_number) + ": expected \"word count\", got \"" + line + "\"");
    }
    d.ids_[line.substr(0, space)] = static_cast<int32_t>(d.symbols_.size());
    d.symbols_.push_back(line.substr(0, space));
    d.counts_.push_back(count);
  }
  d.finalized_ = true;
  return d;
}

std::string FairseqDictionary::to_text() const {
  std::string text;
  for (size_t i = kSpecials; i < symbols_.size(); ++i) {
    text += symbols_[i];
    text += ' ';
    text += std::to_string(counts_[i]);
    text += '\n';
  }
  return text;
}

}  // namespace ssa::data
